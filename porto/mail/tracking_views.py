"""Public tracking endpoints: provider webhooks and the open pixel. No login, no CSRF (the
callers are providers and mail clients); webhooks prove their sender, pixel tokens are signed."""

import logging

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from porto.mail.feedback.classify import PROVIDERS, ClassificationError
from porto.mail.feedback.pixel import PIXEL_CONTENT_TYPE, PIXEL_GIF, pixel_token_read
from porto.mail.feedback.webhook_auth import webhook_authenticate
from porto.mail.feedback.webhooks import webhook_receive
from porto.mail.tasks import record_pixel_open_on_commit

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    if provider not in PROVIDERS:
        raise Http404(_("No webhook for this provider."))
    if _needs_basic_auth_challenge(request):
        return _basic_auth_challenge()
    try:
        webhook_authenticate(provider, request)
        received = webhook_receive(provider, request)
    except (SuspiciousOperation, ClassificationError) as error:
        logger.warning("Refused a %s webhook: %s", provider, error)
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"received": received.events}, status=200)


def _needs_basic_auth_challenge(request: HttpRequest) -> bool:
    """Amazon SNS sends credentials only after a 401 asking for them (anymail does the same)."""
    from anymail.utils import get_anymail_setting

    return bool(get_anymail_setting("webhook_secret", default=None)) and not request.META.get(
        "HTTP_AUTHORIZATION"
    )


def _basic_auth_challenge() -> HttpResponse:
    response = JsonResponse(
        {"error": "Missing basic auth: put the webhook secret in the webhook URL."}, status=401
    )
    response["WWW-Authenticate"] = 'Basic realm="Porto webhooks"'
    return response


@require_GET
def pixel(request: HttpRequest, token: str) -> HttpResponse:
    """Always the same GIF, whatever the token; a genuine one records an open, later."""
    found = pixel_token_read(token)
    if found is not None:
        record_pixel_open_on_commit(
            *found,
            user_agent=request.headers.get("User-Agent", ""),
            remote_ip=request.META.get("REMOTE_ADDR", ""),
            at=timezone.now(),
        )
    response = HttpResponse(PIXEL_GIF, content_type=PIXEL_CONTENT_TYPE)
    response["Cache-Control"] = "no-store, max-age=0"
    response["Referrer-Policy"] = "no-referrer"
    return response

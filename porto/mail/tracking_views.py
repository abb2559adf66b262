"""Public tracking endpoints: provider webhooks and the open pixel. No login, no CSRF (the
callers are providers and mail clients); webhooks prove their sender, pixel tokens are signed."""

import logging

from anymail.utils import get_anymail_setting
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from porto.mail.feedback.classify import ClassificationError
from porto.mail.feedback.pixel import PIXEL_CONTENT_TYPE, PIXEL_GIF, pixel_token_read
from porto.mail.feedback.pixel_loads import pixel_load_store
from porto.mail.feedback.webhook_auth import webhook_authenticate
from porto.mail.feedback.webhook_body import WebhookBodyError, webhook_body_check
from porto.mail.feedback.webhook_gate import webhook_gate_open
from porto.mail.feedback.webhooks import Received, webhook_receive
from porto.mail.tasks import pixel_load_on_commit, process_webhook_on_commit

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    """Deny by default (see docs/tracking.md, "The webhook gate"): 404 unless the provider is
    live and the token is its URL's; 400 for a bad body; 401/403 unless proven; then stored."""
    if not webhook_gate_open(provider, token):
        raise Http404()
    try:
        webhook_body_check(provider, request)
        if _needs_basic_auth_challenge(request):
            return _basic_auth_challenge()
        webhook_authenticate(provider, request)
        received = webhook_receive(provider, request)
        if not received.already_received:
            process_webhook_on_commit(received.webhook.pk)
    except (WebhookBodyError, ClassificationError, RequestDataTooBig) as error:
        return _refused(provider, error, status=400)
    except SuspiciousOperation as error:  # WebhookAuthError and anymail's validation failures
        return _refused(provider, error, status=403)
    return JsonResponse(_answer(received), status=200)


def _answer(received: Received) -> dict[str, object]:
    if received.already_received:
        return {"received": 0, "already_received": True}
    return {"received": received.events}


def _refused(provider: str, error: Exception, *, status: int) -> HttpResponse:
    logger.warning("Refused a %s webhook (%s): %s", provider, status, error)
    return JsonResponse({"error": str(error)}, status=status)


def _needs_basic_auth_challenge(request: HttpRequest) -> bool:
    """Amazon SNS sends credentials only after a 401 asking for them (anymail does the same)."""
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
        _pixel_load_store(request, *found)
    response = HttpResponse(PIXEL_GIF, content_type=PIXEL_CONTENT_TYPE)
    response["Cache-Control"] = "no-store, max-age=0"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _pixel_load_store(request: HttpRequest, recipient_id: int, key: str) -> None:
    """Store the load (one INSERT, committed before the GIF) and wake its projection; the GIF
    is answered even if the database refuses it."""
    try:
        load = pixel_load_store(
            recipient_id,
            key,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            remote_ip=request.META.get("REMOTE_ADDR", ""),
            at=timezone.now(),
        )
    except Exception:  # a database that refuses it: the GIF is answered all the same
        logger.exception("Could not store a load of recipient %s's pixel", recipient_id)
        return
    pixel_load_on_commit(load.pk)

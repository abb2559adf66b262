"""The sandbox inbox: a test inbox showing what the sandbox mail server received.

A user sees the messages of the company they act for, and nothing else: the company comes
from a header the outbox sets, and the viewer must be a member of it (``access.scoped``).
The HTML of an email is served from its own URL inside a sandboxed iframe, with a CSP that
forbids scripts, forms and plugins but lets images load (so a tracking pixel is fetched, as
a mail client would).
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from porto.accounts import access
from porto.sandbox import selectors
from porto.sandbox.models import SandboxMessage

PAGE_SIZE = 50
IFRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
HTML_POLICY = "; ".join(
    [
        f"sandbox {IFRAME_SANDBOX}",
        "default-src 'none'",
        "img-src http: https: data:",
        "style-src 'unsafe-inline' http: https:",
        "font-src http: https: data:",
        "media-src http: https: data:",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ]
)
DOWNLOAD_POLICY = "sandbox; default-src 'none'"


def sandbox_enabled(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.PORTO_SANDBOX_ENABLED:
            raise Http404(_("The sandbox mail server is not enabled."))
        return view(request, *args, **kwargs)

    return wrapper


def message_or_404(request: HttpRequest, pk: int) -> SandboxMessage:
    return access.company_object_or_404(request, SandboxMessage.objects.all(), pk=pk)


@login_required
@sandbox_enabled
def inbox(request: HttpRequest) -> HttpResponse:
    messages = selectors.inbox_messages(access.current_company(request))
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sandbox/inbox.html", {"page": page})


@login_required
@sandbox_enabled
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = message_or_404(request, pk)
    context = {
        "message": message,
        "view": selectors.message_view(message),
        "iframe_sandbox": IFRAME_SANDBOX,
    }
    return render(request, "sandbox/message.html", context)


@login_required
@sandbox_enabled
@xframe_options_sameorigin
def message_html(request: HttpRequest, pk: int) -> HttpResponse:
    html = selectors.message_html(message_or_404(request, pk))
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_POLICY
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@sandbox_enabled
def message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    message = message_or_404(request, pk)
    return download(bytes(message.raw), "message/rfc822", f"message-{message.pk}.eml")


@login_required
@sandbox_enabled
def attachment_download(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    attachment = selectors.message_attachment(message_or_404(request, pk), index)
    if attachment is None:
        raise Http404(_("This email has no such attachment."))
    content_type = selectors.download_content_type(attachment.content_type)
    return download(attachment.content, content_type, attachment.filename)


def download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    response["Cache-Control"] = "private, no-store"
    return response

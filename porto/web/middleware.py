"""Refuse a page's request body announced larger than any page accepts, before anything reads
it.

Django's CSRF check reads a POST's form fields before the view runs, and reading the fields of
a multipart body streams every file in it to disk: a 2 GB post would be written out whole
before the send pop-up could say its attachments are too large. This middleware sits before
the CSRF check and answers 413 from the announced size (Content-Length) alone. The largest
page body is the send pop-up's: its attachments plus its other fields.

Views exempt from CSRF (the API, provider webhooks) are left alone: nothing reads their body
before them, and each refuses its own, lower, limit by the announced size first.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from porto.mail.send.limits import MAX_UPLOAD_BYTES, human_size, size_limit

# The largest page body is a send's: its files and what comes with them (one home: limits.py).
MAX_PAGE_BODY_BYTES = MAX_UPLOAD_BYTES


def announced_size(request: HttpRequest) -> int:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return int(length) if length.isdigit() else 0


def too_large_message(size: int) -> str:
    """What was sent and what a page takes, in the reader's language."""
    return _(
        "What you sent is %(size)s; a page accepts at most %(max)s. Send fewer or smaller files."
    ) % {"size": human_size(size), "max": size_limit(MAX_PAGE_BODY_BYTES)}


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        size = announced_size(request)
        if size <= MAX_PAGE_BODY_BYTES or getattr(view, "csrf_exempt", False):
            return None
        message = too_large_message(size)
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"ok": False, "errors": {"attachments": [message]}}, status=413)
        return HttpResponse(message, content_type="text/plain; charset=utf-8", status=413)

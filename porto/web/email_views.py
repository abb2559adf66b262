"""The email pages of a document: its timeline (drawn on the document page and polled by it),
Update status, Retry now, and the proof of sending. Each: access check, one selector or service call,
render. The webhooks and the tracking pixel are not pages: they live in ``porto.mail``."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from porto.accounts import access
from porto.documents.models import Document
from porto.mail.feedback.refresh.services import email_refresh_request
from porto.mail.feedback.tasks import refresh_on_commit
from porto.mail.models import OutgoingEmail
from porto.mail.operations import emails_retry_now, retry_now_candidates
from porto.mail.proof import email_proof_pdf
from porto.mail.providers.base.status import RefreshRefused
from porto.mail.tasks import wake_on_commit
from porto.mail.timeline import document_timeline as timeline_of

TIMELINE_TEMPLATE = "web/timeline.html"


def timeline_context(document: Document) -> dict:
    """What the timeline template needs: the entries, the emails Retry now may make due, and
    how often the page asks again."""
    now = timezone.now()
    retryable = retry_now_candidates(OutgoingEmail.objects.filter(document=document), now)
    return {
        "document": document,
        "timeline": timeline_of(document, now),
        "retry_now_ids": set(retryable.values_list("pk", flat=True)),
        "timeline_refresh_seconds": settings.PORTO_TIMELINE_REFRESH_SECONDS,
    }


def _email_or_404(request: HttpRequest, pk: int) -> OutgoingEmail:
    queryset = OutgoingEmail.objects.select_related("company__email_settings", "document")
    return access.company_object_or_404(request, queryset, pk=pk)


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _asked() -> str:
    return _("Porto is asking for the latest status; it shows here in a moment.")


@login_required
@require_POST
def email_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email_or_404(request, pk)
    notice = ""
    try:
        email_refresh_request(email)
        refresh_on_commit(email.pk)
    except RefreshRefused as refused:
        notice = refused.message
    if _is_fetch(request):
        return _refreshed_timeline(request, email, notice)
    if notice:
        messages.error(request, notice)
    else:
        messages.success(request, _asked())
    return redirect("document", email.document_id)


def _refreshed_timeline(request: HttpRequest, email: OutgoingEmail, notice: str) -> HttpResponse:
    context = timeline_context(email.document) | {
        "notice": notice or _asked(),
        "notice_refused": bool(notice),
        "notice_email": email.pk,
    }
    return render(request, TIMELINE_TEMPLATE, context, status=409 if notice else 200)


def retry_now_and_wake(emails: QuerySet[OutgoingEmail]) -> int:
    """Retry now for ``emails`` (already in the company's scope): how many were made due,
    woken once the change is committed. The bulk page and the overview use it too."""
    with transaction.atomic():
        email_ids = emails_retry_now(emails)
        wake_on_commit(email_ids)
    return len(email_ids)


@login_required
@require_POST
def email_retry_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Retry now for one email waiting for a retry after a deferral (the timeline's button)."""
    email = _email_or_404(request, pk)
    if retry_now_and_wake(OutgoingEmail.objects.filter(pk=email.pk)):
        messages.success(request, _("The email is being tried again now."))
    else:
        messages.info(request, _not_retried())
    return redirect("document", email.document_id)


def _not_retried() -> str:
    return _(
        "Nothing to retry now: this email does not wait for a retry, or it was tried less "
        "than a minute ago. An email waiting for the sending limit or a pause is never retried "
        "early."
    )


@login_required
@require_GET
def document_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    document = access.company_object_or_404(request, Document.objects.all(), pk=pk)
    return render(request, TIMELINE_TEMPLATE, timeline_context(document))


@login_required
@require_GET
def email_proof(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email_or_404(request, pk)
    response = HttpResponse(email_proof_pdf(email), content_type="application/pdf")
    name = slugify(f"proof-of-sending-{email.document.number or email.document_id}-{email.pk}")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response

"""The email views of the document page: Update status, the timeline fragment (polled by the
page), and the proof of sending. Each: access check, one service call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from porto.accounts import access
from porto.documents.models import Document
from porto.mail.feedback.refresh.services import email_refresh_request
from porto.mail.feedback.tasks import refresh_on_commit
from porto.mail.models import OutgoingEmail
from porto.mail.proof import email_proof_pdf
from porto.mail.providers.base.status import RefreshRefused


def _email_or_404(request: HttpRequest, pk: int) -> OutgoingEmail:
    queryset = OutgoingEmail.objects.select_related("company__email_settings", "document")
    return access.company_object_or_404(request, queryset, pk=pk)


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


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
        context = {"document": email.document, "notice": notice, "notice_email": email.pk}
        return render(request, "mail/timeline.html", context, status=409 if notice else 200)
    if notice:
        messages.error(request, notice)
    else:
        messages.success(request, _asked())
    return redirect("document", email.document_id)


def _asked() -> str:
    return _("Porto is asking for the latest status; it shows here in a moment.")


@login_required
@require_GET
def document_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    document = access.company_object_or_404(request, Document.objects.all(), pk=pk)
    return render(request, "mail/timeline.html", {"document": document})


@login_required
@require_GET
def email_proof(request: HttpRequest, pk: int) -> HttpResponse:
    email = _email_or_404(request, pk)
    response = HttpResponse(email_proof_pdf(email), content_type="application/pdf")
    name = slugify(f"proof-of-sending-{email.document.number or email.document_id}-{email.pk}")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response

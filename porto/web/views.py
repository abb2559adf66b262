"""Pages. Each view: access check, one selector or service call, render."""

import datetime
import secrets
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from porto.accounts import access
from porto.accounts.models import Company
from porto.clients.models import Client
from porto.documents.models import UBL_KINDS, Document, DocumentKind
from porto.documents.rendering.files import document_files
from porto.emailtexts.models import EmailText
from porto.emailtexts.services import email_text_render
from porto.mail.checks import removed_note
from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.requests import SendRequest, recipient_language
from porto.mail.send import uploads
from porto.mail.send.defaults import SendDefaults, send_defaults
from porto.mail.status import status_choices
from porto.mail.tasks import wake_on_commit
from porto.web import banners, selectors, services
from porto.web.email_views import retry_now_and_wake, timeline_context
from porto.web.forms import SendForm

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("documents")


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def overview_filters(params: QueryDict) -> selectors.OverviewFilters:
    """The overview's filters and sort from a query string (or the bulk form, which carries
    the same names); what cannot be read is ignored."""
    client = params.get("client", "")
    return selectors.OverviewFilters(
        kind=params.get("kind", ""),
        status=params.get("status", ""),
        client=int(client) if client.isdigit() else None,
        date_from=_date(params.get("from", "")),
        date_to=_date(params.get("to", "")),
        search=params.get("q", "").strip(),
        sort=selectors.sort_known(params.get("sort", "")),
    )


def filter_params(filters: selectors.OverviewFilters) -> dict[str, str]:
    """``filters`` as the overview's query parameters (only those set)."""
    params = {
        "kind": filters.kind,
        "status": filters.status,
        "client": str(filters.client or ""),
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "q": filters.search,
        "sort": filters.sort,
    }
    return {name: value for name, value in params.items() if value}


def overview_url(filters: selectors.OverviewFilters) -> str:
    params = filter_params(filters)
    return reverse("documents") + (f"?{urlencode(params)}" if params else "")


@dataclass(frozen=True)
class SortColumn:
    """A column header of the overview: its link sorts by it, or reverses its order."""

    label: str
    url: str
    direction: str  # "ascending", "descending" or "" (the aria-sort value)


OVERVIEW_COLUMNS = [
    ("number", gettext_lazy("Number")),
    ("kind", gettext_lazy("Kind")),
    ("client", gettext_lazy("Client")),
    ("date", gettext_lazy("Date")),
    ("amount", gettext_lazy("Total")),
    ("status", gettext_lazy("Status")),
    ("email", gettext_lazy("Email")),
    ("email_date", gettext_lazy("Emailed on")),
]


def sort_columns(filters: selectors.OverviewFilters) -> dict[str, SortColumn]:
    """Each column's header: a click sorts by it, a second click reverses; page 1 again."""
    columns = {}
    for key, label in OVERVIEW_COLUMNS:
        direction = {key: "ascending", f"-{key}": "descending"}.get(filters.sort, "")
        sort = f"-{key}" if direction == "ascending" else key
        url = overview_url(replace(filters, sort=sort))
        columns[key] = SortColumn(label=str(label), url=url, direction=direction)
    return columns


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    company = access.current_company(request)
    filters = overview_filters(request.GET)
    now = timezone.now()  # one clock for the filter and the badges
    documents = selectors.document_overview(company, filters, now)
    retry_notice = selectors.company_retry_notice(company, now)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    badges = selectors.latest_badges(rows, now)
    return render(
        request,
        "web/document_list.html",
        {
            "page": page,
            "rows": [(d, badges.get(d.pk)) for d in rows],
            "filters": filters,
            "filter_params": filter_params(filters),
            "columns": sort_columns(filters),
            "kinds": DocumentKind.choices,
            "email_statuses": status_choices(),
            "clients": Client.objects.filter(company=company).order_by("name"),
            "ubl_kinds": sorted(UBL_KINDS),
            "back": quote(request.get_full_path(), safe="/"),  # once, not once per row
            "retry_notice": retry_notice,
        },
    )


def _document(request: HttpRequest, pk: int) -> Document:
    queryset = Document.objects.select_related("client", "corrects", "company")
    return access.company_object_or_404(request, queryset.prefetch_related("lines"), pk=pk)


def send_initial(defaults: SendDefaults) -> dict:
    return {
        "email_text": defaults.email_text_id,
        "subject": defaults.subject,
        "body": defaults.body,
        "file_format": defaults.file_format,
    }


def detail_context(document: Document, form: SendForm, defaults: SendDefaults) -> dict:
    to = form.data.getlist("to") if form.is_bound else defaults.to  # type: ignore[attr-defined]
    return timeline_context(document) | {
        "document": document,
        "totals": document.compute_totals(),
        "form": form,
        "send": defaults,
        "to_chips": to,
        "ubl": document.kind in UBL_KINDS,
    }


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    defaults = send_defaults(document, request.user)
    form = SendForm(document=document, initial=send_initial(defaults))
    context = detail_context(document, form, defaults)
    context["open_send"] = request.GET.get("send") == "1"
    context["back"] = banners.overview_back(request.GET.get("back", ""))
    return render(request, "web/document_detail.html", context)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def deliver_on_commit(email_ids: list[int]) -> None:
    """The send pages' wake-up of delivery: after the commit of the rows it wakes for (Retry
    now wakes through ``email_views.retry_now_and_wake``)."""
    wake_on_commit(email_ids)


def email_send_and_deliver(key: str, send_request: SendRequest) -> OutgoingEmail | None:
    """The email sent now, or None when the key had sent it already."""
    with transaction.atomic():
        email, sent_now = services.email_send_once(key, send_request)
        if sent_now and email is not None:
            deliver_on_commit([email.pk])
            return email
    return None


@csrf_exempt  # the CSRF check reads the POST: it runs once the upload handler is in place
@login_required
@require_POST
def document_send(request: HttpRequest, pk: int) -> HttpResponse:
    """A body too large for any email is refused before it is read; otherwise the files are
    read by ``uploads.SendUploadHandler``, which keeps no more than the limits in memory."""
    document = _document(request, pk)
    too_large = uploads.body_too_large(request.META.get("CONTENT_LENGTH"))
    if too_large:
        return upload_refused(request, document, too_large)
    handler = uploads.install(request)
    return _document_send(request, document, handler)


@csrf_protect
def _document_send(
    request: HttpRequest, document: Document, handler: uploads.SendUploadHandler
) -> HttpResponse:
    if handler.stopped:
        return upload_refused(request, document, uploads.upload_too_large())
    form = SendForm(request.POST, request.FILES, document=document)
    email = None
    if form.is_valid():
        try:
            email = email_send_and_deliver(
                form.cleaned_data["idempotency_key"], form.send_request(request.user)
            )
        except ValidationError as error:
            form.add_problems(error)
    back = banners.overview_back(request.POST.get("back", ""))
    if form.is_valid():
        target = back or reverse("document", args=[document.pk])
        if back:  # sent from the overview: confirmed there, once
            messages.success(request, banners.single_send_banner(document))
        for note in attachment_notes(email):
            messages.info(request, note)
        if wants_json(request):
            return JsonResponse({"ok": True, "redirect": target})
        if not back:
            messages.success(request, _("The email is on its way."))
        return redirect(target)
    if wants_json(request):
        return JsonResponse({"ok": False, "errors": form.errors}, status=400)
    defaults = send_defaults(document, request.user)
    context = detail_context(document, form, defaults) | {"open_send": True, "back": back}
    return render(request, "web/document_detail.html", context, status=400)


def upload_refused(request: HttpRequest, document: Document, message: str) -> HttpResponse:
    """The answer to an upload too large to read: under the attachments in the pop-up, or as
    a message on the document's page."""
    if wants_json(request):
        return JsonResponse({"ok": False, "errors": {"attachments": [message]}}, status=413)
    messages.error(request, message)
    return redirect("document", pk=document.pk)


def attachment_notes(email: OutgoingEmail | None) -> list[str]:
    """What the sender is told about the files as they were sent (active content removed)."""
    if email is None:
        return []
    return [
        note
        for attachment in email.attachments.all()
        if (note := removed_note(attachment.filename, attachment.removed_content))
    ]


@login_required
@require_GET
def document_email_text(request: HttpRequest, pk: int, text_id: int) -> JsonResponse:
    document = _document(request, pk)
    text = access.company_object_or_404(request, EmailText.objects.all(), pk=text_id)
    try:
        rendered = email_text_render(text, document, recipient_language(document))
    except ValidationError as error:
        return JsonResponse({"errors": error.messages}, status=400)
    return JsonResponse({"subject": rendered.subject, "body": rendered.body_text})


@login_required
@require_GET
def document_format_check(request: HttpRequest, pk: int) -> JsonResponse:
    document = _document(request, pk)
    try:
        files = document_files(document, request.GET.get("format", ""))
    except ValidationError as error:
        return JsonResponse({"ok": False, "problems": error.messages})
    notes = [f.validation_message for f in files if f.validation_message]
    return JsonResponse({"ok": True, "problems": [], "notes": notes})


@login_required
@require_GET
@xframe_options_sameorigin  # the document page shows the PDF in an iframe
def document_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    document = _document(request, pk)
    if fmt not in ("pdf", "ubl"):
        raise Http404(_("No such format."))
    try:
        [file] = document_files(document, fmt)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("document", pk=document.pk)
    response = HttpResponse(file.content, content_type=file.content_type)
    disposition = "inline" if request.GET.get("inline") == "1" and fmt == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{file.filename}"'
    return response


# Bulk send


def selected_ids(request: HttpRequest, company: Company) -> list[int]:
    """The documents a bulk form asks for: every one that matches the filter it carries
    (resolved again here, in the company's scope), or the ticked ones."""
    if request.POST.get("scope") == "filter":
        return selectors.document_overview_ids(company, overview_filters(request.POST))
    return [int(v) for v in request.POST.getlist("documents") if v.isdigit()]


def bulk_form_context(request: HttpRequest, ids: list[int]) -> dict:
    """What the summary's form posts again: the filter (and scope), or the ticked ids."""
    filters = overview_filters(request.POST)
    by_filter = request.POST.get("scope") == "filter"
    return {
        "by_filter": by_filter,
        "matching": len(ids),
        "ids": [] if by_filter else ids,
        "filter_params": filter_params(filters),
        "back": overview_url(filters),
    }


@login_required
@require_POST
def bulk_summary(request: HttpRequest) -> HttpResponse:
    company = access.current_company(request)
    ids = selected_ids(request, company)
    if not ids:
        messages.error(request, _("Select at least one document to send."))
        return redirect(overview_url(overview_filters(request.POST)))
    plan = selectors.bulk_plan(company, ids)
    context = {"plan": plan, "idempotency_key": secrets.token_urlsafe(24)}
    return render(request, "web/bulk_summary.html", context | bulk_form_context(request, ids))


@login_required
@require_POST
def bulk_start(request: HttpRequest) -> HttpResponse:
    company = access.current_company(request)
    back = overview_url(overview_filters(request.POST))
    key = request.POST.get("idempotency_key", "")[:64]
    try:
        with transaction.atomic():
            job, started_now = services.bulk_send_once(
                key, company, selected_ids(request, company), created_by=request.user
            )
            email_ids = list(job.emails.values_list("pk", flat=True))
            if started_now:
                deliver_on_commit(email_ids)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    if started_now:
        messages.success(request, banners.bulk_send_banner(job, len(email_ids)))
    else:
        messages.info(request, banners.bulk_already_sent_banner(job))
    return redirect(back)


def _bulk_job(request: HttpRequest, pk: int) -> BulkJob:
    return access.company_object_or_404(request, BulkJob.objects.all(), pk=pk)


@login_required
def bulk_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _bulk_job(request, pk)
    context = {
        "job": job,
        "counts": job.counts(),
        "outbox": selectors.bulk_outbox(job, timezone.now()),
    }
    return render(request, "web/bulk_job.html", context)


@login_required
@require_GET
def bulk_job_progress(request: HttpRequest, pk: int) -> JsonResponse:
    job = _bulk_job(request, pk)
    counts = job.counts()
    done = counts["queued"] == 0
    return JsonResponse(
        {
            "counts": counts,
            "done": done,
            "outbox": selectors.bulk_outbox(job, timezone.now()).as_json(),
            "results": selectors.bulk_results(job) if done else [],
        }
    )


def retry_now_message(request: HttpRequest, retried: int) -> None:
    if retried:
        messages.success(request, _("Emails tried again now: %(count)s.") % {"count": retried})
    else:
        messages.info(request, nothing_to_retry())


def nothing_to_retry() -> str:
    return _(
        "Nothing to retry now: no email waits for a retry, or it was tried less than a minute "
        "ago. Emails waiting for the sending limit or a pause are never retried early."
    )


@login_required
@require_POST
def bulk_job_retry_now(request: HttpRequest, pk: int) -> HttpResponse:
    job = _bulk_job(request, pk)
    retry_now_message(request, retry_now_and_wake(job.emails.all()))
    return redirect("bulk_job", pk=job.pk)


@login_required
@require_POST
def outbox_retry_now(request: HttpRequest) -> HttpResponse:
    """Retry all deferred now: every email of the company waiting for a retry (after an
    outage), from the overview's notice."""
    company = access.current_company(request)
    retry_now_message(request, retry_now_and_wake(OutgoingEmail.objects.filter(company=company)))
    return redirect("documents")


@login_required
@require_POST
def company_switch(request: HttpRequest) -> HttpResponse:
    access.switch_company(request, request.POST.get("company", ""))
    return redirect("documents")

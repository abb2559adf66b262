"""The document editor's pages: create and edit drafts, totals as the user types, a preview of
the unsaved draft, finalize (with the number it will take), duplicate, credit, delete.

Each view: access check (through ``porto.accounts.access``), the editor's forms, one service
of ``porto.documents.drafts`` or ``services``, render or redirect."""

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from porto.accounts import access
from porto.clients.models import Client
from porto.documents import drafts, numbering, services
from porto.documents.forms import DocumentEditor
from porto.documents.models import Document, DocumentKind, VatCategory
from porto.documents.services import Problem
from porto.documents.totals import Totals, compute_totals, rate_key
from porto.lib.formatting import format_amount

# One whole sentence per kind: Dutch and French articles follow the noun's gender.
FINALIZE_SENTENCES = {
    DocumentKind.INVOICE: gettext_lazy(
        "This invoice will be number %(number)s and can no longer be changed."
    ),
    DocumentKind.CREDIT_NOTE: gettext_lazy(
        "This credit note will be number %(number)s and can no longer be changed."
    ),
    DocumentKind.QUOTE: gettext_lazy(
        "This quote will be number %(number)s and can no longer be changed."
    ),
    DocumentKind.OTHER: gettext_lazy(
        "This document will be number %(number)s and can no longer be changed."
    ),
}
NEW_HEADINGS = {
    DocumentKind.INVOICE: gettext_lazy("New invoice"),
    DocumentKind.CREDIT_NOTE: gettext_lazy("New credit note"),
    DocumentKind.QUOTE: gettext_lazy("New quote"),
    DocumentKind.OTHER: gettext_lazy("New document"),
}


def _document(request: HttpRequest, pk: int) -> Document:
    """The current company's document, else 404: checked before the method, so that another
    company's user learns nothing from any URL, whatever the method."""
    return access.company_object_or_404(
        request, Document.objects.select_related("client", "company"), pk=pk
    )


def _new_kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind") or DocumentKind.INVOICE
    if kind not in DocumentKind.values:
        raise Http404(_("No such kind of document."))
    return kind


def _new_client(request: HttpRequest) -> Client | None:
    client_id = request.GET.get("client", "")
    if not client_id:
        return None
    if not client_id.isdigit():
        raise Http404(_("No such client."))
    return access.company_object_or_404(request, Client.objects.all(), pk=int(client_id))


@login_required
@require_http_methods(["GET", "POST"])
def document_new(request: HttpRequest) -> HttpResponse:
    company = access.current_company(request)
    document = drafts.document_new(company, _new_kind(request), _new_client(request))
    return _editor(request, document)


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if not document.is_draft:
        messages.info(request, _("A finalized document can no longer be changed."))
        return redirect("document", document.pk)
    return _editor(request, document)


def _editor(request: HttpRequest, document: Document) -> HttpResponse:
    editor = DocumentEditor(document, request.POST if request.method == "POST" else None)
    if request.method == "POST" and _save(editor):
        if request.POST.get("then") == "finalize":
            return redirect("document_finalize", editor.document.pk)
        messages.success(request, _("The draft is saved."))
        return redirect("document", editor.document.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/document_edit.html", editor_context(editor), status=status)


def _save(editor: DocumentEditor) -> bool:
    if not editor.is_valid():
        return False
    try:
        editor.document = drafts.draft_save(editor.document, *editor.draft_input())
    except ValidationError as error:
        editor.add_problems(error)
        return False
    return True


def editor_context(editor: DocumentEditor) -> dict:
    document = editor.document
    categories = _categories_shown(editor)
    return {
        "editor": editor,
        "document": document,
        "form": editor.form,
        "lines": editor.lines,
        "allowances": editor.allowances,
        "heading": _editor_heading(document),
        "totals": totals_context(editor),
        "categories_in_use": categories,
        "delivery_open": document.has_delivery_address
        or document.delivery_date is not None
        or VatCategory.INTRA_COMMUNITY in categories,
        "preview_url": reverse("document_preview", args=[document.pk])
        if document.pk
        else reverse("document_new_preview"),
    }


def _editor_heading(document: Document) -> str:
    if document.pk is None:
        return str(NEW_HEADINGS[DocumentKind(document.kind)])
    return _("Edit draft: %(title)s") % {"title": document.display_title}


def _categories_shown(editor: DocumentEditor) -> set[str]:
    """The VAT categories the editor's rows use now (posted or stored)."""
    used = set()
    for formset in (editor.lines, editor.allowances):
        for form in formset.forms:
            value = form["vat_category"].value()
            if value:
                used.add(str(value))
    return used


# --- Totals as the user types ---


def editor_totals(editor: DocumentEditor) -> tuple[Totals, list[int], list[int]]:
    """The totals of the rows that are valid, and the numbers of the rows that are not."""
    if not editor.lines.is_bound:
        stored = editor.document
        return (stored.compute_totals() if stored.pk else compute_totals([])), [], []
    bad_lines, bad_allowances = [], []
    lines, adjustments = [], []
    for number, form in enumerate(editor.lines.rows(), start=1):
        if not form.has_changed():
            continue
        if form.is_valid():
            lines.append(form.amounts())
        else:
            bad_lines.append(number)
    for number, form in enumerate(editor.allowances.rows(), start=1):
        if not form.has_changed():
            continue
        if form.is_valid():
            adjustments.append(form.adjustment())
        else:
            bad_allowances.append(number)
    prepaid = _prepaid(editor)
    return compute_totals(lines, prepaid, adjustments), bad_lines, bad_allowances


def _prepaid(editor: DocumentEditor) -> Decimal:
    form = editor.form
    if not form.is_bound:
        return editor.document.prepaid_amount
    field = form.fields["prepaid_amount"]
    try:
        return field.clean(form["prepaid_amount"].value()) or Decimal("0")
    except ValidationError:
        return Decimal("0")


def totals_context(editor: DocumentEditor) -> dict:
    totals, bad_lines, bad_allowances = editor_totals(editor)
    language = get_language() or "en"

    def money(value: Decimal) -> str:
        return format_amount(value, language, editor.document.currency or "EUR")

    vat_rows = [
        (
            _("VAT %(rate)s %% (%(category)s) on %(base)s")
            % {
                "rate": rate_key(sub.rate),
                "category": VatCategory(sub.category).label
                if sub.category in VatCategory.values
                else sub.category,
                "base": money(sub.taxable_amount),
            },
            money(sub.tax_amount),
        )
        for sub in totals.vat_breakdown
    ]
    return {
        "line_nets": [money(net) for net in totals.line_nets],
        "bad_lines": bad_lines,
        "bad_allowances": bad_allowances,
        "line_extension": money(totals.line_extension),
        "allowance_total": money(totals.allowance_total) if totals.allowance_total else "",
        "charge_total": money(totals.charge_total) if totals.charge_total else "",
        "tax_exclusive": money(totals.tax_exclusive),
        "vat_rows": vat_rows,
        "tax_inclusive": money(totals.tax_inclusive),
        "prepaid": money(totals.prepaid) if totals.prepaid else "",
        "payable": money(totals.payable),
    }


@login_required
@require_POST
def document_totals(request: HttpRequest) -> HttpResponse:
    """The totals fragment of the editor's unsaved rows (nothing is stored)."""
    company = access.current_company(request)
    editor = DocumentEditor(Document(company=company, kind=DocumentKind.INVOICE), request.POST)
    return render(request, "web/document_edit_totals.html", {"totals": totals_context(editor)})


# --- Preview of the unsaved draft ---


@login_required
@require_POST
def document_new_preview(request: HttpRequest) -> HttpResponse:
    company = access.current_company(request)
    document = drafts.document_new(company, _new_kind(request), None)
    return _preview(request, document)


@login_required
def document_preview(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not document.is_draft:  # its preview is its own PDF
        return redirect("document_download", pk=document.pk, fmt="pdf")
    return _preview(request, document)


def _preview(request: HttpRequest, document: Document) -> HttpResponse:
    editor = DocumentEditor(document, request.POST)
    if editor.is_valid():
        try:
            content = drafts.draft_preview_pdf(document, *editor.draft_input())
        except ValidationError as error:
            editor.add_problems(error)
        else:
            response = HttpResponse(content, content_type="application/pdf")
            response["Content-Disposition"] = 'inline; filename="preview.pdf"'
            return response
    return render(request, "web/document_edit.html", editor_context(editor), status=400)


# --- Finalize ---


def next_number(document: Document, today: datetime.date) -> str:
    year = (document.issue_date or today).year
    return numbering.next_number(document.company_id, document.kind, year)


@login_required
@require_http_methods(["GET", "POST"])
def document_finalize(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if not document.is_draft:
        messages.info(request, _("This document is already finalized."))
        return redirect("document", document.pk)
    if request.method == "POST":
        try:
            finalized = services.document_finalize(document)
        except ValidationError as error:
            # The service's messages are the same problems, read again here with their fields.
            problems = services.finalization_problems(document) or [
                Problem("", message) for message in error.messages
            ]
            return _finalize_page(request, document, problems, status=400)
        messages.success(
            request,
            _("%(title)s %(number)s is finalized.")
            % {"title": finalized.display_title, "number": finalized.number},
        )
        return redirect("document", finalized.pk)
    return _finalize_page(request, document, services.finalization_problems(document))


def _finalize_page(
    request: HttpRequest, document: Document, problems: list[Problem], status: int = 200
) -> HttpResponse:
    number = next_number(document, timezone.localdate())
    context = {
        "document": document,
        "sentence": FINALIZE_SENTENCES[DocumentKind(document.kind)] % {"number": number},
        "problems": [(problem.message, problem_anchor(problem.field)) for problem in problems],
    }
    return render(request, "web/document_edit_finalize.html", context, status=status)


# Problems without a field of their own in the editor point at a section.
PROBLEM_SECTIONS = {"": "section-document", "currency": "section-document", "lines": "lines"}


def problem_anchor(field: str) -> str:
    """The editor's element a finalization problem's field (``services.Problem``) points at."""
    if field.startswith("lines-"):
        return "line-" + field.split("-")[1]
    if field.startswith("exemption-"):
        return "exemptions"
    return PROBLEM_SECTIONS.get(field, f"id_{field}")


# --- Duplicate, credit, delete ---


@login_required
def document_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    copy = drafts.document_duplicate(document)
    messages.success(request, _("This is a new draft copied from the document: check it and save."))
    return redirect("document_edit", copy.pk)


@login_required
def document_credit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _document(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        credit = drafts.document_credit(invoice)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("document", invoice.pk)
    messages.success(
        request,
        _("This credit note corrects invoice %(number)s: remove what is not credited and save.")
        % {"number": invoice.number},
    )
    return redirect("document_edit", credit.pk)


@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if not document.is_draft:
        messages.error(
            request, _("A finalized document cannot be deleted: make a credit note to correct it.")
        )
        return redirect("document", document.pk)
    if request.method == "POST":
        drafts.draft_delete(document)
        messages.success(request, _("The draft is deleted."))
        return redirect("documents")
    return render(request, "web/document_edit_delete.html", {"document": document})

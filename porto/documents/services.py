"""Writes on documents: recompute totals, finalize (number, snapshot, structured communication)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from porto.clients.models import Client
from porto.documents.models import (
    MAX_DOCUMENT_AMOUNT,
    NUMBER_PREFIX,
    Document,
    DocumentKind,
    DocumentLine,
    NumberSeries,
)
from porto.documents.totals import Totals
from porto.lib.identifiers import structured_communication

DEFAULT_PAYMENT_DAYS = 30


def document_recompute_totals(document: Document) -> Document:
    totals = document.compute_totals()
    problem = _amount_problem(totals)
    if problem:
        raise ValidationError(problem, code="amount_too_large")
    document.total_excl_vat = totals.tax_exclusive
    document.total_vat = totals.tax_total
    document.total_incl_vat = totals.tax_inclusive
    document.amount_due = totals.payable
    if document.is_draft:
        document.save(
            update_fields=[
                "total_excl_vat",
                "total_vat",
                "total_incl_vat",
                "amount_due",
                "updated_at",
            ]
        )
    return document


def finalization_problems(document: Document) -> list[str]:
    """Everything that keeps a draft from being finalized, each said so a person can fix it."""
    problems = []
    if document.client is None:
        problems.append(_("Choose a client: a finalized document needs one."))
    elif document.client.company_id != document.company_id:
        problems.append(_("Choose one of this company's clients."))
    lines = list(document.lines.all())
    if not lines:
        problems.append(_("Add at least one line: a finalized document cannot be empty."))
    for index, line in enumerate(lines, start=1):
        problems.extend(_line_problems(index, line))
    if not problems:
        problems.extend(filter(None, [_amount_problem(document.compute_totals())]))
    if document.currency != "EUR":
        problems.append(
            _("Porto issues documents in EUR only; this one is in %(currency)s.")
            % {"currency": document.currency}
        )
    if document.kind == DocumentKind.OTHER and not document.title.strip():
        problems.append(_("Give the document a title, for example 'Delivery note'."))
    problems.extend(_credit_note_problems(document))
    return problems


def _line_problems(index: int, line: DocumentLine) -> list[str]:
    problems = []
    if not line.description.strip():
        problems.append(_("Line %(n)d has no description.") % {"n": index})
    if line.quantity == 0:
        problems.append(
            _("Line %(n)d has quantity 0: give a quantity or remove the line.") % {"n": index}
        )
    try:
        line.clean_fields()
        line.clean()
    except ValidationError as error:
        for message in error.messages:
            problems.append(_("Line %(n)d: %(message)s") % {"n": index, "message": message})
    return problems


def _amount_problem(totals: Totals) -> str:
    largest = max(abs(totals.line_extension), abs(totals.tax_inclusive), abs(totals.payable))
    if largest <= MAX_DOCUMENT_AMOUNT:
        return ""
    return _(
        "The total of %(total)s is more than Porto can store (%(max)s): "
        "check the quantities and prices for a typing mistake."
    ) % {"total": f"{largest:,}", "max": f"{MAX_DOCUMENT_AMOUNT:,}"}


def _credit_note_problems(document: Document) -> list[str]:
    if document.kind != DocumentKind.CREDIT_NOTE:
        return []
    corrected = document.corrects
    if corrected is None:
        return [_("Say which invoice this credit note corrects.")]
    if (
        corrected.company_id != document.company_id
        or corrected.kind != DocumentKind.INVOICE
        or corrected.is_draft
    ):
        return [_("A credit note corrects a finalized invoice of the same company.")]
    return []


def client_snapshot(client: Client) -> dict:
    default = client.default_email
    return {
        "id": client.pk,
        "kind": client.kind,
        "name": client.name,
        "contact_name": client.contact_name,
        "street": client.street,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
        "vat_number": client.vat_number,
        "kbo_number": client.kbo_number,
        "peppol_scheme": client.peppol_scheme,
        "peppol_id": client.peppol_id,
        "language": client.language,
        "email": default.address if default else "",
    }


def take_next_number(company_id: int, kind: str, year: int) -> int:
    """Take the next number of a series. Call inside the finalizing transaction: the row
    lock makes concurrent finalizations wait, and a rollback gives the number back."""
    NumberSeries.objects.bulk_create(
        [NumberSeries(company_id=company_id, kind=kind, year=year)], ignore_conflicts=True
    )
    series = NumberSeries.objects.select_for_update().get(
        company_id=company_id, kind=kind, year=year
    )
    series.last_value += 1
    series.save(update_fields=["last_value"])
    return series.last_value


def format_number(kind: str, year: int, sequence: int) -> str:
    return f"{NUMBER_PREFIX[DocumentKind(kind)]}{year}-{sequence:05d}"


def document_finalize(document: Document, today: datetime.date | None = None) -> Document:
    """Give a draft its number and freeze it. Raises ValidationError listing every problem."""
    with transaction.atomic():
        locked = (
            Document.objects.select_for_update(of=("self",))
            .select_related("client", "corrects")
            .get(pk=document.pk)
        )
        if not locked.is_draft:
            raise ValidationError(
                _("Document %(number)s is already finalized.") % {"number": locked.number},
                code="already_finalized",
            )
        problems = finalization_problems(locked)
        if problems:
            raise ValidationError(problems)
        _freeze(locked, today or timezone.localdate())
    return locked


def _freeze(document: Document, today: datetime.date) -> None:
    document.issue_date = document.issue_date or today
    year = document.issue_date.year
    if document.kind == DocumentKind.INVOICE and document.due_date is None:
        document.due_date = document.issue_date + datetime.timedelta(days=DEFAULT_PAYMENT_DAYS)
    document.sequence = take_next_number(document.company_id, document.kind, year)
    document.number = format_number(document.kind, year, document.sequence)
    if document.kind == DocumentKind.INVOICE:
        document.structured_communication = structured_communication(
            int(f"{year:04d}{document.sequence:06d}")
        )
    assert document.client is not None
    document.client_snapshot = client_snapshot(document.client)
    totals = document.compute_totals()
    document.total_excl_vat = totals.tax_exclusive
    document.total_vat = totals.tax_total
    document.total_incl_vat = totals.tax_inclusive
    document.amount_due = totals.payable
    document.status = Document.Status.FINALIZED
    document.finalized_at = timezone.now()
    document.save()


def document_mark_sent(document: Document) -> None:
    """Record the first time a transport accepted an email for this document."""
    Document.objects.filter(pk=document.pk, sent_at__isnull=True).update(sent_at=timezone.now())

"""Writes on documents: recompute totals, finalize (number, snapshot, structured communication)."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.clients.models import Client
from porto.documents.codes import VATEX
from porto.documents.models import (
    CATEGORIES_NEEDING_REASON,
    MAX_DOCUMENT_AMOUNT,
    Document,
    DocumentKind,
    DocumentLine,
    VatCategory,
)
from porto.documents.numbering import format_number, take_next_number
from porto.documents.totals import Totals
from porto.lib.identifiers import structured_communication

DEFAULT_PAYMENT_DAYS = 30


@dataclass(frozen=True)
class Problem:
    """One reason a draft cannot be finalized: the sentence a person reads and the field it is
    about. ``field`` is a document field ("client", "title", "delivery_date", ...), "lines" (no
    line at all), ``lines-<n>`` or ``lines-<n>-<line field>`` (n counts lines from 1, as the
    message does), ``exemption-<VAT category>``, or "" when no single field is to blame."""

    field: str
    message: str


# Sent inside the finalizing transaction: apps above documents (outbound webhooks) write what
# follows from it in the same transaction.
document_finalized = Signal()  # document


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


def finalization_problems(document: Document) -> list[Problem]:
    """Everything that keeps a draft from being finalized, each said so a person can fix it."""
    problems = []
    if document.client is None:
        problems.append(Problem("client", _("Choose a client: a finalized document needs one.")))
    elif document.client.company_id != document.company_id:
        problems.append(Problem("client", _("Choose one of this company's clients.")))
    lines = list(document.lines.all())
    if not lines:
        problems.append(
            Problem("lines", _("Add at least one line: a finalized document cannot be empty."))
        )
    for index, line in enumerate(lines, start=1):
        problems.extend(_line_problems(index, line))
    if not problems:
        amount_problem = _amount_problem(document.compute_totals())
        if amount_problem:
            problems.append(Problem("", amount_problem))
    if document.currency != "EUR":
        message = _("Porto issues documents in EUR only; this one is in %(currency)s.") % {
            "currency": document.currency
        }
        problems.append(Problem("currency", message))
    if document.kind == DocumentKind.OTHER and not document.title.strip():
        message = _("Give the document a title, for example 'Delivery note'.")
        problems.append(Problem("title", message))
    problems.extend(exemption_problems(document, lines))
    problems.extend(_delivery_problems(document, lines))
    problems.extend(_credit_note_problems(document))
    return problems


def categories_in_use(document: Document, lines: list[DocumentLine] | None = None) -> set[str]:
    lines = list(document.lines.all()) if lines is None else lines
    used = {line.vat_category for line in lines}
    used.update(adjustment.vat_category for adjustment in document.allowance_charges.all())
    return used


def exemption_problems(
    document: Document, lines: list[DocumentLine] | None = None
) -> list[Problem]:
    """Each VAT category without VAT needs a reason (a VATEX code, a text or both), and a code
    must be one of that category's."""
    problems = []
    for category in sorted(categories_in_use(document, lines) & CATEGORIES_NEEDING_REASON):
        label = VatCategory(category).label
        given = document.exemption(category)
        field = f"exemption-{category}"
        if not given["code"] and not given["text"].strip():
            message = _(
                "Say why no VAT is charged for %(category)s: choose the exemption reason or "
                "write it (for example 'Intra-community supply, art. 39bis VAT Code')."
            ) % {"category": label}
            problems.append(Problem(field, message))
        elif given["code"] and VATEX.get(given["code"], ("",))[0] != category:
            message = _(
                "The exemption code %(code)s does not fit %(category)s: choose another."
            ) % {"code": given["code"], "category": label}
            problems.append(Problem(field, message))
    return problems


def _delivery_problems(document: Document, lines: list[DocumentLine]) -> list[Problem]:
    """An intra-community supply states when and where the goods went (BR-IC-11, BR-IC-12)."""
    if VatCategory.INTRA_COMMUNITY not in categories_in_use(document, lines):
        return []
    problems = []
    if document.delivery_date is None:
        message = _("An intra-community supply needs its delivery date: fill in the delivery date.")
        problems.append(Problem("delivery_date", message))
    if not document.deliver_to_country:
        message = _(
            "An intra-community supply needs the country the goods went to: fill in the "
            "delivery address."
        )
        problems.append(Problem("deliver_to_country", message))
    return problems


def _line_problems(index: int, line: DocumentLine) -> list[Problem]:
    prefix = f"lines-{index}"
    problems = []
    if not line.name.strip():
        message = _("Line %(n)d has no item name.") % {"n": index}
        problems.append(Problem(f"{prefix}-name", message))
    if line.quantity == 0:
        message = _("Line %(n)d has quantity 0: give a quantity or remove the line.") % {"n": index}
        problems.append(Problem(f"{prefix}-quantity", message))
    try:
        line.clean_fields()
        line.clean()
    except ValidationError as error:
        for field, messages in _messages_by_field(error):
            for message in messages:
                said = _("Line %(n)d: %(message)s") % {"n": index, "message": message}
                problems.append(Problem(f"{prefix}-{field}" if field else prefix, said))
    return problems


def _messages_by_field(error: ValidationError) -> list[tuple[str, list[str]]]:
    """A model's validation messages with the field each is about ("" for the whole row)."""
    if not hasattr(error, "error_dict"):
        return [("", error.messages)]
    return [
        ("" if field == NON_FIELD_ERRORS else field, messages)
        for field, messages in error.message_dict.items()
    ]


def _amount_problem(totals: Totals) -> str:
    largest = max(abs(totals.line_extension), abs(totals.tax_inclusive), abs(totals.payable))
    if largest <= MAX_DOCUMENT_AMOUNT:
        return ""
    return _(
        "The total of %(total)s is more than Porto can store (%(max)s): "
        "check the quantities and prices for a typing mistake."
    ) % {"total": f"{largest:,}", "max": f"{MAX_DOCUMENT_AMOUNT:,}"}


def _credit_note_problems(document: Document) -> list[Problem]:
    if document.kind != DocumentKind.CREDIT_NOTE:
        return []
    corrected = document.corrects
    if corrected is None:
        return [Problem("corrects", _("Say which invoice this credit note corrects."))]
    if (
        corrected.company_id != document.company_id
        or corrected.kind != DocumentKind.INVOICE
        or corrected.is_draft
    ):
        message = _("A credit note corrects a finalized invoice of the same company.")
        return [Problem("corrects", message)]
    return []


def client_snapshot(client: Client) -> dict:
    default = client.default_email
    return {
        "id": client.pk,
        "kind": client.kind,
        "name": client.name,
        "contact_name": client.contact_name,
        "street": client.street,
        "street2": client.street2,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
        "vat_number": client.vat_number,
        "kbo_number": client.kbo_number,
        "legal_id": client.legal_id,
        "peppol_scheme": client.peppol_scheme,
        "peppol_id": client.peppol_id,
        "language": client.language,
        "email": default.address if default else "",
    }


SELLER_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "kbo_number",
    "vat_number",
    "iban",
    "bic",
    "email",
    "phone",
)


def seller_snapshot(company: Company) -> dict:
    """The company as a finalized document keeps it (the logo stays live: it is not data)."""
    return {field: getattr(company, field) for field in SELLER_FIELDS}


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
            raise ValidationError([problem.message for problem in problems])
        _freeze(locked, today or timezone.localdate())
        document_finalized.send(Document, document=locked)  # in the finalizing transaction
    return locked


def _freeze(document: Document, today: datetime.date) -> None:
    document.issue_date = document.issue_date or today
    year = document.issue_date.year
    totals = document.compute_totals()
    if _needs_default_due_date(document, totals):
        document.due_date = document.issue_date + datetime.timedelta(days=DEFAULT_PAYMENT_DAYS)
    document.sequence = take_next_number(document.company_id, document.kind, year)
    document.number = format_number(document.company_id, document.kind, year, document.sequence)
    if document.kind == DocumentKind.INVOICE and totals.payable > 0:
        document.structured_communication = structured_communication(
            int(f"{year:04d}{document.sequence:06d}")
        )
    assert document.client is not None
    document.client_snapshot = client_snapshot(document.client)
    # Read apart, so that the document's own company attribute stays as its caller loaded it.
    document.seller_snapshot = seller_snapshot(Company.objects.get(pk=document.company_id))
    document.total_excl_vat = totals.tax_exclusive
    document.total_vat = totals.tax_total
    document.total_incl_vat = totals.tax_inclusive
    document.amount_due = totals.payable
    document.status = Document.Status.FINALIZED
    document.finalized_at = timezone.now()
    document.save()


def _needs_default_due_date(document: Document, totals: Totals) -> bool:
    """An invoice with something to pay and neither a due date nor payment terms gets the
    usual 30 days; one with nothing left to pay gets no invented due date."""
    return (
        document.kind == DocumentKind.INVOICE
        and document.due_date is None
        and not document.payment_terms.strip()
        and totals.payable > 0
    )


def document_mark_sent(document: Document) -> None:
    """Record the first time a transport accepted an email for this document."""
    now = timezone.now()  # updated_at too: an API client polling updated_since sees "sent"
    Document.objects.filter(pk=document.pk, sent_at__isnull=True).update(
        sent_at=now, updated_at=now
    )

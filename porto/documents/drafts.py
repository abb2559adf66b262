"""Writes on drafts: make one, save the editor's form into it, duplicate, credit, delete.

A save replaces the draft's fields, lines (with their allowances and charges) and document
allowances and charges in one transaction, and only if nobody saved the draft since the editor
was opened: the stored ``revision`` must still be the one the form was read at.
"""

import copy
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.clients.countries import EU_COUNTRIES
from porto.clients.models import Client
from porto.documents.codes import VATEX_FOR_CATEGORY
from porto.documents.models import (
    Document,
    DocumentAllowanceCharge,
    DocumentKind,
    DocumentLine,
    FinalizedDocumentError,
    LineAllowanceCharge,
    VatCategory,
)
from porto.documents.rendering.pdf import render_pdf
from porto.documents.services import categories_in_use, document_recompute_totals

# What a duplicate and a credit note take over from the original: everything but its
# number, dates, snapshots and totals.
COPIED_FIELDS = (
    "kind",
    "title",
    "client",
    "currency",
    "buyer_reference",
    "corrects",
    "order_reference",
    "note",
    "payment_terms",
    "payment_iban",
    "payment_bic",
    "deliver_to_name",
    "deliver_to_street",
    "deliver_to_street2",
    "deliver_to_postal_code",
    "deliver_to_city",
    "deliver_to_country",
    "vat_exemptions",
    "prepaid_amount",
)
LINE_FIELDS = (
    "name",
    "description",
    "quantity",
    "unit_code",
    "unit_price",
    "price_base_quantity",
    "vat_category",
    "vat_rate",
)
ALLOWANCE_FIELDS = ("is_charge", "amount", "percentage", "base_amount", "reason_code", "reason")
DOCUMENT_ALLOWANCE_FIELDS = (*ALLOWANCE_FIELDS, "vat_category", "vat_rate")


def stale_revision_message() -> str:
    return _(
        "This document was changed since you opened it (in another tab or by someone else): "
        "reload it to see the changes; your changes were not saved."
    )


@dataclass
class LineDraft:
    """One line as the editor sends it: the line's fields and its allowances and charges."""

    fields: dict
    allowances: list[dict] = field(default_factory=list)


def default_vat(company: Company, client: Client | None) -> tuple[str, Decimal]:
    """The VAT category and rate a new line starts with: an intra-community supply for a
    business client in another EU country, else the standard 21 %."""
    if (
        client is not None
        and client.kind == Client.Kind.BUSINESS
        and client.country != company.country
        and client.country in EU_COUNTRIES
    ):
        return VatCategory.INTRA_COMMUNITY, Decimal("0")
    return VatCategory.STANDARD, Decimal("21")


def document_new(company: Company, kind: str, client: Client | None = None) -> Document:
    """An unsaved draft with the company's defaults (saved by ``draft_save``)."""
    category, _rate = default_vat(company, client)
    exemptions = {}
    if category in VATEX_FOR_CATEGORY:
        exemptions[category] = {"code": VATEX_FOR_CATEGORY[category], "text": ""}
    return Document(
        company=company,
        kind=DocumentKind(kind),
        client=client,
        currency="EUR",
        payment_iban=company.iban,
        payment_bic=company.bic,
        vat_exemptions=exemptions,
    )


def draft_save(
    document: Document,
    fields: dict,
    lines: list[LineDraft],
    allowances: list[dict],
    revision: int,
) -> Document:
    """Store the editor's form in ``document`` (created when it has no pk yet), in one
    transaction: nothing is saved when the revision is stale or a line is invalid."""
    created = document.pk is None
    try:
        return _save(document, fields, lines, allowances, revision)
    except Exception:
        if created:  # rolled back: the instance is not stored after all
            document.pk = None
            document._state.adding = True
        raise


def draft_preview_pdf(
    document: Document,
    fields: dict,
    lines: list[LineDraft],
    allowances: list[dict],
    revision: int,
) -> bytes:
    """The PDF of the editor's unsaved data: stored in a transaction that is rolled back."""
    with transaction.atomic():
        saved = draft_save(copy.copy(document), fields, lines, allowances, revision)
        content = render_pdf(saved)
        transaction.set_rollback(True)
    return content


def _save(document, fields, lines, allowances, revision) -> Document:
    with transaction.atomic():
        if document.pk is None:
            for name, value in fields.items():
                setattr(document, name, value)
            document.full_clean(exclude=["number", "status"])
            document.save()
        else:
            _update_if_current(document, fields, revision)
        document.lines.all().delete()
        document.allowance_charges.all().delete()
        _create_lines(document, lines)
        _create_allowances(document, allowances)
        saved = Document.objects.get(pk=document.pk)
        _keep_exemptions_in_use(saved)
        return document_recompute_totals(saved)


def _keep_exemptions_in_use(document: Document) -> None:
    """An exemption reason is kept only for a category some line or allowance uses."""
    in_use = categories_in_use(document)
    kept = {cat: reason for cat, reason in (document.vat_exemptions or {}).items() if cat in in_use}
    if kept != document.vat_exemptions:
        document.vat_exemptions = kept
        Document.objects.filter(pk=document.pk).update(vat_exemptions=kept)


def _update_if_current(document: Document, fields: dict, revision: int) -> None:
    stored = Document.objects.filter(pk=document.pk)
    if not stored.filter(status=Document.Status.DRAFT).exists():
        raise FinalizedDocumentError(document.number)
    updated = stored.filter(revision=revision).update(revision=F("revision") + 1, **fields)
    if not updated:
        raise ValidationError(stale_revision_message(), code="stale")


def _checked(row, exclude: list[str], where: str):
    try:
        row.full_clean(exclude=exclude)
    except ValidationError as error:
        messages = [f"{where}: {message}" for message in error.messages]
        raise ValidationError(messages, code="invalid") from error
    return row


def _create_lines(document: Document, lines: list[LineDraft]) -> None:
    for position, draft in enumerate(lines):
        where = _("Line %(n)d") % {"n": position + 1}
        line = DocumentLine(document=document, position=position, **draft.fields)
        _checked(line, ["document"], where).save()
        for index, values in enumerate(draft.allowances):
            allowance = LineAllowanceCharge(line=line, position=index, **values)
            _checked(allowance, ["line"], where).save()


def _create_allowances(document: Document, allowances: list[dict]) -> None:
    for position, values in enumerate(allowances):
        where = _("Allowance or charge %(n)d") % {"n": position + 1}
        row = DocumentAllowanceCharge(document=document, position=position, **values)
        _checked(row, ["document"], where).save()


def _copy_fields(document: Document) -> dict:
    return {name: getattr(document, name) for name in COPIED_FIELDS}


def line_drafts(source: Document) -> list[LineDraft]:
    """The stored lines of ``source`` as ``draft_save`` takes them."""
    return [
        LineDraft(
            fields={name: getattr(line, name) for name in LINE_FIELDS},
            allowances=[
                {name: getattr(a, name) for name in ALLOWANCE_FIELDS}
                for a in line.allowance_charges.all()
            ],
        )
        for line in source.lines.all()
    ]


def allowance_values(source: Document) -> list[dict]:
    """The stored document allowances and charges of ``source`` as ``draft_save`` takes them."""
    return [
        {name: getattr(a, name) for name in DOCUMENT_ALLOWANCE_FIELDS}
        for a in source.allowance_charges.all()
    ]


def document_duplicate(document: Document) -> Document:
    """A new draft of the same kind with the same fields, lines and allowances and charges:
    no number, no dates, no snapshot."""
    copy = Document(company=document.company)
    return draft_save(
        copy, _copy_fields(document), line_drafts(document), allowance_values(document), 0
    )


def document_credit(invoice: Document) -> Document:
    """A credit note draft that corrects a finalized invoice: same client, fields and lines,
    nothing prepaid."""
    if invoice.kind != DocumentKind.INVOICE or invoice.is_draft:
        raise ValidationError(
            _("Only a finalized invoice can be credited: finalize it first."), code="not_credit"
        )
    fields = _copy_fields(invoice) | {
        "kind": DocumentKind.CREDIT_NOTE,
        "corrects": invoice,
        "prepaid_amount": Decimal("0.00"),
    }
    copy = Document(company=invoice.company)
    return draft_save(copy, fields, line_drafts(invoice), allowance_values(invoice), 0)


def draft_delete(document: Document) -> None:
    """Delete a draft; a finalized document is a legal record and stays."""
    with transaction.atomic():
        if not Document.objects.filter(pk=document.pk, status=Document.Status.DRAFT).exists():
            raise FinalizedDocumentError(document.number)
        document.delete()

"""The draft services: new drafts with the company's defaults, one-transaction saves refused on
a stale revision, duplicates, credit notes and deletes."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from porto.documents import drafts
from porto.documents.drafts import LineDraft
from porto.documents.models import (
    Document,
    DocumentAllowanceCharge,
    DocumentKind,
    DocumentLine,
    FinalizedDocumentError,
    LineAllowanceCharge,
)
from porto.documents.numbering import next_number
from porto.documents.services import document_finalize
from tests.factories import make_client, make_document, make_finalized, make_foreign_client

pytestmark = pytest.mark.django_db

STALE = (
    "This document was changed since you opened it (in another tab or by someone else): "
    "reload it to see the changes; your changes were not saved."
)


def line(name="Consulting", quantity="2", price="100", **extra) -> LineDraft:
    allowances = extra.pop("allowances", [])
    fields = {
        "name": name,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(price),
        "vat_category": "S",
        "vat_rate": Decimal("21"),
    } | extra
    return LineDraft(fields=fields, allowances=allowances)


def discount(percentage="5", **extra) -> dict:
    return {
        "is_charge": False,
        "percentage": Decimal(percentage),
        "reason_code": "95",
        "vat_category": "S",
        "vat_rate": Decimal("21"),
    } | extra


def test_a_new_draft_takes_the_company_account_and_eur(company, client_nl):
    document = drafts.document_new(company, DocumentKind.INVOICE, client_nl)
    assert (document.payment_iban, document.payment_bic) == (company.iban, company.bic)
    assert document.currency == "EUR"
    assert document.pk is None


def test_a_business_client_elsewhere_in_the_eu_gets_intra_community_lines(company):
    french = make_foreign_client(company, "FR", "FR40303265045")
    assert drafts.default_vat(company, french) == ("K", Decimal("0"))
    document = drafts.document_new(company, DocumentKind.INVOICE, french)
    assert document.vat_exemptions == {"K": {"code": "VATEX-EU-IC", "text": ""}}


def test_a_belgian_client_gets_the_standard_rate(company, client_nl):
    assert drafts.default_vat(company, client_nl) == ("S", Decimal("21"))


def test_saving_a_new_draft_stores_lines_allowances_and_totals(company, client_nl):
    document = drafts.document_new(company, DocumentKind.INVOICE, client_nl)
    saved = drafts.draft_save(
        document,
        {"client": client_nl, "order_reference": "PO-7"},
        [line(), line("Paper", "1500", "12", unit_code="KGM", price_base_quantity=Decimal(1000))],
        [discount()],
        0,
    )
    assert saved.order_reference == "PO-7"
    assert list(saved.lines.values_list("name", "position")) == [
        ("Consulting", 0),
        ("Paper", 1),
    ]
    # 200 + 18 = 218; 5 % off = 10.90; 207.10 + 21 % = 250.59
    assert saved.total_excl_vat == Decimal("207.10")
    assert saved.total_incl_vat == Decimal("250.59")


def test_each_save_raises_the_revision(company, client_nl):
    document = make_document(company, client_nl)
    drafts.draft_save(document, {"note": "first"}, [line()], [], document.revision)
    second = drafts.draft_save(document, {"note": "second"}, [line()], [], document.revision + 1)
    assert second.revision == 2
    assert second.note == "second"


def test_a_save_with_a_stale_revision_is_refused_and_overwrites_nothing(company, client_nl):
    document = make_document(company, client_nl)
    drafts.draft_save(document, {"note": "from tab one"}, [line("One")], [], 0)
    with pytest.raises(ValidationError) as caught:
        drafts.draft_save(document, {"note": "from tab two"}, [line("Two")], [], 0)
    assert caught.value.messages == [STALE]
    document.refresh_from_db()
    assert document.note == "from tab one"
    assert list(document.lines.values_list("name", flat=True)) == ["One"]


def test_a_bad_line_saves_nothing(company, client_nl):
    document = make_document(company, client_nl, note="before")
    with pytest.raises(ValidationError) as caught:
        drafts.draft_save(
            document,
            {"note": "after"},
            [line("Good"), line("Bad", vat_rate=Decimal("20"))],
            [],
            0,
        )
    assert caught.value.messages[0].startswith("Line 2: The standard VAT rate in Belgium is 6")
    document.refresh_from_db()
    assert (document.note, document.revision) == ("before", 0)
    assert list(document.lines.values_list("name", flat=True)) == ["Line 1"]


def test_a_finalized_document_cannot_be_saved_as_a_draft(company, client_nl):
    invoice = make_finalized(company, client_nl)
    with pytest.raises(FinalizedDocumentError):
        drafts.draft_save(invoice, {"note": "changed"}, [line()], [], invoice.revision)


def test_exemption_reasons_are_kept_only_for_categories_in_use(company, client_nl):
    document = make_document(company, client_nl)
    saved = drafts.draft_save(
        document,
        {
            "vat_exemptions": {
                "K": {"code": "VATEX-EU-IC", "text": ""},
                "E": {"code": "", "text": "x"},
            }
        },
        [line(vat_category="K", vat_rate=Decimal("0"))],
        [],
        0,
    )
    assert saved.vat_exemptions == {"K": {"code": "VATEX-EU-IC", "text": ""}}


def full_invoice(company, client):
    document = drafts.document_new(company, DocumentKind.INVOICE, client)
    fields = {
        "client": client,
        "buyer_reference": "REF-1",
        "order_reference": "PO-1",
        "note": "Thanks",
        "payment_terms": "30 days",
        "delivery_date": datetime.date(2026, 3, 1),
        "deliver_to_name": "Depot",
        "deliver_to_street": "Havenlaan 2",
        "deliver_to_street2": "Dock 4",
        "deliver_to_postal_code": "2030",
        "deliver_to_city": "Antwerpen",
        "deliver_to_country": "BE",
        "prepaid_amount": Decimal("10.00"),
        "issue_date": datetime.date(2026, 3, 2),
        "due_date": datetime.date(2026, 4, 1),
    }
    extra = {"is_charge": True, "amount": Decimal("5.00"), "reason_code": "FC", "reason": "Fuel"}
    lines = [line(description="Long text", unit_code="HUR", allowances=[extra])]
    return drafts.draft_save(document, fields, lines, [discount()], 0)


def test_a_duplicate_keeps_every_field_line_and_allowance_but_no_number_or_dates(
    company, client_nl
):
    original = document_finalize(full_invoice(company, client_nl))
    copy = drafts.document_duplicate(original)
    assert copy.pk != original.pk and copy.is_draft
    assert (copy.number, copy.issue_date, copy.due_date, copy.delivery_date) == (
        "",
        None,
        None,
        None,
    )
    assert copy.client_snapshot == {} and copy.seller_snapshot == {}
    for name in drafts.COPIED_FIELDS:
        assert getattr(copy, name) == getattr(original, name), name
    copied_line = copy.lines.get()
    assert (copied_line.description, copied_line.unit_code) == ("Long text", "HUR")
    assert list(copied_line.allowance_charges.values_list("amount", "reason_code", "reason")) == [
        (Decimal("5.00"), "FC", "Fuel")
    ]
    assert copy.allowance_charges.get().percentage == Decimal("5")
    assert copy.total_incl_vat == original.total_incl_vat


def test_a_credit_note_corrects_the_invoice_with_its_client_and_lines(company, client_nl):
    invoice = document_finalize(full_invoice(company, client_nl))
    credit = drafts.document_credit(invoice)
    assert (credit.kind, credit.corrects, credit.client) == (
        DocumentKind.CREDIT_NOTE,
        invoice,
        client_nl,
    )
    assert credit.prepaid_amount == 0
    assert list(credit.lines.values_list("name", flat=True)) == ["Consulting"]
    assert document_finalize(credit).number.startswith("CN-")


def test_a_draft_invoice_cannot_be_credited(company, client_nl):
    with pytest.raises(ValidationError) as caught:
        drafts.document_credit(make_document(company, client_nl))
    assert caught.value.messages == ["Only a finalized invoice can be credited: finalize it first."]


def test_delete_removes_a_draft_with_its_lines(company, client_nl):
    document = full_invoice(company, client_nl)
    drafts.draft_delete(document)
    assert not Document.objects.exists()
    assert not DocumentLine.objects.exists()
    assert not LineAllowanceCharge.objects.exists()
    assert not DocumentAllowanceCharge.objects.exists()


def test_delete_refuses_a_finalized_document(company, client_nl):
    invoice = make_finalized(company, client_nl)
    with pytest.raises(FinalizedDocumentError):
        drafts.draft_delete(invoice)
    assert Document.objects.filter(pk=invoice.pk).exists()


def test_next_number_reads_without_taking(company):
    client = make_client(company)
    year = datetime.date.today().year
    assert next_number(company.pk, DocumentKind.INVOICE, year) == f"{year}-00001"
    make_finalized(company, client)
    assert next_number(company.pk, DocumentKind.INVOICE, year) == f"{year}-00002"
    assert next_number(company.pk, DocumentKind.INVOICE, year) == f"{year}-00002"

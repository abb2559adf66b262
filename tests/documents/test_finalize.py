"""document_finalize: gap-free numbers per company, kind and year; every problem at once;
a frozen client snapshot; a valid structured communication on invoices."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from porto.documents import services
from porto.documents.models import Document, DocumentKind, NumberSeries
from porto.documents.services import document_finalize
from porto.lib.identifiers import clean_structured_communication
from tests.factories import make_client, make_document

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


def finalize(document, today=DAY):
    return document_finalize(document, today=today)


def problems_of(document) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        finalize(document)
    return caught.value.messages


@pytest.fixture
def acme_client(company):
    return make_client(company)


def test_invoices_are_numbered_from_00001_in_the_issue_year(company, acme_client):
    numbers = [finalize(make_document(company, acme_client)).number for _ in range(3)]
    assert numbers == ["2026-00001", "2026-00002", "2026-00003"]


def test_each_kind_has_its_own_prefix_and_series(company, acme_client):
    invoice = finalize(make_document(company, acme_client))
    credit = finalize(
        make_document(company, acme_client, kind=DocumentKind.CREDIT_NOTE, corrects=invoice)
    )
    quote = finalize(make_document(company, acme_client, kind=DocumentKind.QUOTE))
    other = finalize(
        make_document(company, acme_client, kind=DocumentKind.OTHER, title="Delivery note")
    )
    second_quote = finalize(make_document(company, acme_client, kind=DocumentKind.QUOTE))
    assert [invoice.number, credit.number, quote.number, other.number, second_quote.number] == [
        "2026-00001",
        "CN-2026-00001",
        "Q-2026-00001",
        "D-2026-00001",
        "Q-2026-00002",
    ]
    assert other.display_title == "Delivery note"


def test_each_year_starts_again_at_1(company, acme_client):
    late = finalize(make_document(company, acme_client, issue_date=datetime.date(2025, 12, 31)))
    early = finalize(make_document(company, acme_client), today=datetime.date(2026, 1, 1))
    late_again = finalize(
        make_document(company, acme_client, issue_date=datetime.date(2025, 12, 30))
    )
    assert (late.number, early.number, late_again.number) == (
        "2025-00001",
        "2026-00001",
        "2025-00002",
    )


def test_each_company_has_its_own_series(company, other_company, acme_client):
    finalize(make_document(company, acme_client))
    theirs = finalize(make_document(other_company, make_client(other_company)))
    assert theirs.number == "2026-00001"


def test_a_refused_finalization_does_not_use_a_number(company, acme_client):
    broken = make_document(company, acme_client, lines=[])
    problems_of(broken)
    assert not NumberSeries.objects.filter(company=company, last_value__gt=0).exists()
    assert finalize(make_document(company, acme_client)).number == "2026-00001"


def test_a_crash_after_taking_the_number_gives_it_back(company, acme_client, monkeypatch):
    finalize(make_document(company, acme_client))
    draft = make_document(company, acme_client)

    def explode(client):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "client_snapshot", explode)
    with pytest.raises(RuntimeError):
        finalize(draft)
    monkeypatch.undo()
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.sequence) == (Document.Status.DRAFT, "", None)
    assert NumberSeries.objects.get(company=company, kind="invoice", year=2026).last_value == 1
    assert finalize(draft).number == "2026-00002"


def test_every_problem_is_listed_at_once(company):
    draft = make_document(
        company,
        None,
        lines=[
            ("0", "10", "S", "21"),
            ("1", "10", "S", "7"),
            ("1", "10", "K", "0"),
        ],
        currency="USD",
    )
    problems = problems_of(draft)
    assert problems == [
        "Choose a client: a finalized document needs one.",
        "Line 1 has quantity 0: give a quantity or remove the line.",
        "Line 2: The standard VAT rate in Belgium is 6, 12 or 21 %, not 7 %: pick one of "
        "those, or another VAT category with its reason.",
        "Porto issues documents in EUR only; this one is in USD.",
        "Say why no VAT is charged for Intra-community supply: choose the exemption reason or "
        "write it (for example 'Intra-community supply, art. 39bis VAT Code').",
        "An intra-community supply needs its delivery date: fill in the delivery date.",
        "An intra-community supply needs the country the goods went to: fill in the delivery "
        "address.",
    ]
    draft.refresh_from_db()
    assert draft.is_draft and draft.number == ""


def test_each_problem_names_the_field_it_is_about(company):
    draft = make_document(
        company,
        None,
        lines=[("0", "10", "S", "21"), ("1", "10", "S", "7"), ("1", "10", "K", "0")],
        currency="USD",
    )
    fields = [problem.field for problem in services.finalization_problems(draft)]
    assert fields == [
        "client",
        "lines-1-quantity",
        "lines-2-vat_rate",
        "currency",
        "exemption-K",
        "delivery_date",
        "deliver_to_country",
    ]


def test_the_empty_document_and_the_credit_note_problems_name_their_fields(company, acme_client):
    empty = make_document(company, acme_client, lines=[])
    credit = make_document(company, acme_client, kind=DocumentKind.CREDIT_NOTE)
    assert [p.field for p in services.finalization_problems(empty)] == ["lines"]
    assert [p.field for p in services.finalization_problems(credit)] == ["corrects"]


def test_a_document_without_lines(company, acme_client):
    assert problems_of(make_document(company, acme_client, lines=[])) == [
        "Add at least one line: a finalized document cannot be empty."
    ]


def test_a_zero_rate_category_with_a_rate_is_refused(company, acme_client):
    problems = problems_of(
        make_document(company, acme_client, lines=[("1", "10", "E", "21", "Exempt, art. 44")])
    )
    assert problems == [
        "Line 1: VAT category Exempt from VAT has a rate of 0 %: set the rate to 0, or choose "
        "the standard rate."
    ]


def test_credit_note_without_corrected_invoice(company, acme_client):
    draft = make_document(company, acme_client, kind=DocumentKind.CREDIT_NOTE)
    assert problems_of(draft) == ["Say which invoice this credit note corrects."]


@pytest.mark.parametrize("target", ["draft_invoice", "quote", "foreign_invoice"])
def test_credit_note_must_correct_a_finalized_invoice_of_the_same_company(
    target, company, other_company, acme_client
):
    corrected = {
        "draft_invoice": lambda: make_document(company, acme_client),
        "quote": lambda: finalize(make_document(company, acme_client, kind=DocumentKind.QUOTE)),
        "foreign_invoice": lambda: finalize(
            make_document(other_company, make_client(other_company))
        ),
    }[target]()
    draft = make_document(company, acme_client, kind=DocumentKind.CREDIT_NOTE, corrects=corrected)
    assert problems_of(draft) == ["A credit note corrects a finalized invoice of the same company."]


def test_other_document_needs_a_title(company, acme_client):
    draft = make_document(company, acme_client, kind=DocumentKind.OTHER, title="  ")
    assert problems_of(draft) == ["Give the document a title, for example 'Delivery note'."]


def test_a_client_of_another_company_is_refused(company, other_company):
    draft = make_document(company, make_client(other_company))
    assert problems_of(draft) == ["Choose one of this company's clients."]


def test_absurd_amounts_are_refused_with_a_reason_not_a_crash(company, acme_client):
    draft = make_document(company, acme_client, lines=[])
    for _ in range(3):
        draft.lines.create(name="Typo", quantity=Decimal("999999999"), unit_price=Decimal("999999"))
    problems = problems_of(draft)
    assert len(problems) == 3
    assert "Line 1: Quantity times unit price is more than 10,000,000,000" in problems[0]
    assert "typing mistake" in problems[0]


def test_document_total_beyond_storage_is_refused(company, acme_client):
    draft = make_document(company, acme_client, lines=[])
    for _ in range(101):
        draft.lines.create(name="Big", quantity=Decimal("1000"), unit_price=Decimal("10000000"))
    problems = problems_of(draft)
    assert len(problems) == 1
    assert "more than Porto can store" in problems[0]
    with pytest.raises(ValidationError, match="more than Porto can store"):
        services.document_recompute_totals(draft)


def test_finalizing_twice_says_already_finalized(company, acme_client):
    document = finalize(make_document(company, acme_client))
    with pytest.raises(ValidationError) as caught:
        finalize(document)
    assert caught.value.code == "already_finalized"
    assert caught.value.messages == ["Document 2026-00001 is already finalized."]


def test_finalization_fills_dates_totals_and_status(company, acme_client):
    document = finalize(make_document(company, acme_client, lines=[("2", "50", "S", "21")]))
    document.refresh_from_db()
    assert document.status == Document.Status.FINALIZED
    assert document.issue_date == DAY
    assert document.due_date == DAY + datetime.timedelta(days=30)
    assert document.finalized_at is not None
    assert (document.total_excl_vat, document.total_vat, document.total_incl_vat) == (
        Decimal("100.00"),
        Decimal("21.00"),
        Decimal("121.00"),
    )
    assert document.amount_due == Decimal("121.00")


def test_client_snapshot_is_frozen(company):
    client = make_client(company, name="Bakkerij Peeters", emails=("jan@peeters.example",))
    document = finalize(make_document(company, client))
    client.name = "Bakkerij Janssens"
    client.city = "Brugge"
    client.save()
    client.emails.update(address="els@janssens.example")
    document.refresh_from_db()
    assert document.client_snapshot["name"] == "Bakkerij Peeters"
    assert document.client_snapshot["city"] == "Gent"
    assert document.client_snapshot["email"] == "jan@peeters.example"
    assert document.client_snapshot["vat_number"] == client.vat_number
    assert document.client_snapshot["language"] == "nl"


def test_invoices_get_a_valid_structured_communication(company, acme_client):
    first = finalize(make_document(company, acme_client))
    second = finalize(make_document(company, acme_client))
    assert first.structured_communication == "+++202/6000/00192+++"  # 2026000001 mod 97 = 92
    for invoice in (first, second):
        ogm = invoice.structured_communication
        assert clean_structured_communication(ogm) == ogm
    assert first.structured_communication != second.structured_communication


@pytest.mark.parametrize("kind", [DocumentKind.QUOTE, DocumentKind.OTHER])
def test_non_invoices_have_no_structured_communication(kind, company, acme_client):
    document = finalize(make_document(company, acme_client, kind=kind, title="Work order"))
    assert document.structured_communication == ""

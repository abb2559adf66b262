"""The editor's pages: create, edit, every refusal with its message, numbers typed in the UI
language, two tabs, totals as the user types, finalize, duplicate, credit, delete."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from porto.documents.forms import parse_typed_number
from porto.documents.models import Document, DocumentKind
from porto.documents.totals import Adjustment, LineAmounts, compute_totals
from porto.lib.formatting import format_amount
from tests.factories import make_client, make_document, make_finalized, make_foreign_client

pytestmark = pytest.mark.django_db


# What a browser would post from the editor page: every field of the form as the page renders
# it (the row templates left out), with the test's own values on top.


class _FormFields(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.template_depth = 0
        self.select: str | None = None
        self.select_first: str | None = None
        self.selected = False
        self.textarea: str | None = None
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        if tag == "form" and attr.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.template_depth += 1
        if self.template_depth:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            if kind in ("submit", "button"):
                return
            self.values[name] = attr.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self.select, self.select_first, self.selected = name, None, False
        elif tag == "option" and self.select:
            value = attr.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attr:
                self.values[self.select], self.selected = value, True
        elif tag == "textarea" and name:
            self.textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "template" and self.inside:
            self.template_depth -= 1
        elif tag == "select" and self.select:
            if not self.selected:
                self.values[self.select] = self.select_first or ""
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside = False

    def handle_data(self, data):
        if self.textarea and not self.template_depth:
            self.values[self.textarea] += (
                data.lstrip("\n") if not self.values[self.textarea] else data
            )


def form_fields(html: str, form_id: str = "document-editor") -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.values


def editor_payload(client, url: str, typed: dict[str, str] | None = None) -> dict[str, str]:
    """The editor form at ``url`` as the browser would post it, with ``typed`` filled in."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return form_fields(response.content.decode()) | (typed or {})


NEW = "/documents/new/?kind=invoice"
STALE = (
    "This document was changed since you opened it (in another tab or by someone else): "
    "reload it to see the changes; your changes were not saved."
)


def one_line(client_pk: int, **typed) -> dict[str, str]:
    return {
        "client": str(client_pk),
        "lines-0-name": "Consulting",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "100",
    } | typed


def post_new(http, client_pk, **typed):
    payload = editor_payload(http, NEW, one_line(client_pk, **typed))
    return http.post(NEW, payload)


def errors_of(response) -> str:
    return response.content.decode()


def in_language(http, language: str) -> None:
    http.cookies["django_language"] = language


# --- Create and edit ---


def test_the_new_invoice_page_prefills_the_company_account(owner_client, company):
    fields = form_fields(owner_client.get(NEW).content.decode())
    assert fields["payment_iban"] == company.iban
    assert fields["payment_bic"] == company.bic
    assert fields["lines-0-vat_category"] == "S" and fields["lines-0-vat_rate"] == "21"


def test_a_foreign_eu_business_client_starts_with_intra_community_lines(owner_client, company):
    french = make_foreign_client(company, "FR", "FR40303265045")
    html = owner_client.get(f"{NEW}&client={french.pk}").content.decode()
    fields = form_fields(html)
    assert (fields["lines-0-vat_category"], fields["lines-0-vat_rate"]) == ("K", "0")
    assert (fields["allowances-0-vat_category"], fields["allowances-0-vat_rate"]) == ("K", "0")
    assert fields["exemption_K_code"] == "VATEX-EU-IC"


def test_creating_an_invoice_stores_it_and_shows_its_page(owner_client, company, client_nl):
    response = post_new(owner_client, client_nl.pk)
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("document", args=[document.pk])
    assert (document.kind, document.client, document.company) == ("invoice", client_nl, company)
    assert document.total_excl_vat == Decimal("200.00")
    assert document.lines.get().name == "Consulting"


def test_the_page_saves_without_javascript_with_its_empty_rows_ignored(owner_client, client_nl):
    payload = editor_payload(owner_client, NEW, one_line(client_nl.pk))
    assert payload["lines-TOTAL_FORMS"] == "1"
    assert payload["allowances-TOTAL_FORMS"] == "1"  # an empty discount row, left empty
    owner_client.post(NEW, payload)
    document = Document.objects.get()
    assert document.lines.count() == 1 and document.allowance_charges.count() == 0


def test_editing_replaces_lines_in_their_new_order(owner_client, company, client_nl):
    document = make_document(company, client_nl, lines=[("1", "10", "S", "21")] * 2)
    url = reverse("document_edit", args=[document.pk])
    payload = editor_payload(
        owner_client,
        url,
        {
            "lines-0-name": "Second",
            "lines-0-ORDER": "2",
            "lines-1-name": "First",
            "lines-1-ORDER": "1",
        },
    )
    assert owner_client.post(url, payload).status_code == 302
    assert list(document.lines.values_list("name", flat=True)) == ["First", "Second"]


def test_a_line_marked_remove_is_removed(owner_client, company, client_nl):
    document = make_document(company, client_nl, lines=[("1", "10", "S", "21")] * 2)
    url = reverse("document_edit", args=[document.pk])
    owner_client.post(url, editor_payload(owner_client, url, {"lines-0-DELETE": "on"}))
    assert list(document.lines.values_list("name", flat=True)) == ["Line 2"]


def test_line_and_document_allowances_are_saved(owner_client, client_nl):
    typed = {
        "lines-0-ac0-is_charge": "1",
        "lines-0-ac0-amount": "5",
        "lines-0-ac0-reason_code": "FC",
        "allowances-0-percentage": "5",
        "allowances-0-reason_code": "95",
    }
    post_new(owner_client, client_nl.pk, **typed)
    document = Document.objects.get()
    assert document.lines.get().allowance_charges.get().amount == Decimal("5.00")
    assert document.allowance_charges.get().percentage == Decimal("5")
    # 205 - 5 % (10.25) = 194.75
    assert document.total_excl_vat == Decimal("194.75")


def test_a_finalized_document_is_not_editable(owner_client, company, client_nl):
    invoice = make_finalized(company, client_nl)
    response = owner_client.get(reverse("document_edit", args=[invoice.pk]))
    assert response["Location"] == reverse("document", args=[invoice.pk])


# --- Bad input: each refusal with its message, nothing saved ---


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"lines-0-name": ""}, "Item: name what you sell."),
        ({"lines-0-quantity": "abc"}, "Quantity: write a number, for example 12.5."),
        ({"lines-0-quantity": "1.2345"}, "Quantity: use at most 3 decimals."),
        ({"lines-0-unit_price": "1.23456"}, "Unit price: use at most 4 decimals."),
        (
            {"lines-0-unit_price": "-5"},
            "Unit price cannot be negative: for a return use a negative quantity, for a "
            "discount an allowance.",
        ),
        (
            {"lines-0-quantity": "2000000000"},
            "Quantity: must be at most 1000000000: check it for a typing mistake.",
        ),
        (
            {"lines-0-quantity": "900000000", "lines-0-unit_price": "900000"},
            "Quantity times unit price is more than 10,000,000,000: check both for a typing "
            "mistake, or split the line.",
        ),
        (
            {"lines-0-vat_rate": "0"},
            "The standard VAT rate in Belgium is 6, 12 or 21 %, not 0 %: pick one of those, "
            "or another VAT category with its reason.",
        ),
        ({"lines-0-price_base_quantity": "0"}, "Price per: must be at least 0.001."),
        (
            {"lines-0-ac0-reason": "Fuel"},
            "Give an amount or a percentage (one of the two).",
        ),
        (
            {"lines-0-ac0-amount": "5", "lines-0-ac0-reason_code": "FC"},
            "Reason code: choose a reason of the kind chosen (allowance or charge).",
        ),
        ({"allowances-0-percentage": "5"}, "Say why, for example &#x27;Discount&#x27; or"),
        (
            {"allowances-0-percentage": "150", "allowances-0-reason_code": "95"},
            "Percentage: must be at most 100",
        ),
        (
            {"payment_iban": "12345678"},
            "12345678 is not an IBAN: an IBAN starts with a country code",
        ),
        ({"payment_bic": "KRED"}, "A BIC has 8 or 11 letters and digits"),
        (
            {
                "allowances-0-amount": "5",
                "allowances-0-reason_code": "95",
                "allowances-0-vat_rate": "0",
            },
            "The standard VAT rate in Belgium is 6, 12 or 21 %, not 0 %",
        ),
        ({"lines-0-unit_code": "XYZ"}, "Unit: choose one of the options offered."),
        ({"issue_date": "31/02/2026"}, "Issue date: choose a date in the calendar."),
        ({"prepaid_amount": "-3"}, "Prepaid amount: must be at least 0."),
        ({"deliver_to_country": "Belgium"}, "Delivery country: write the two-letter country code"),
        (
            {"issue_date": "2026-03-10", "due_date": "2026-03-01"},
            "Due date: choose a day on or after the issue date.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(
    owner_client, client_nl, typed, message
):
    response = post_new(owner_client, client_nl.pk, **typed)
    assert response.status_code == 400
    assert message in errors_of(response)
    assert not Document.objects.exists()


def test_a_line_error_is_listed_with_its_line_number(owner_client, client_nl):
    response = post_new(owner_client, client_nl.pk, **{"lines-0-quantity": "abc"})
    assert "Line 1: Quantity: write a number, for example 12.5." in errors_of(response)


def test_a_client_of_another_company_is_refused(owner_client, other_company, client_nl):
    stranger = make_client(other_company)
    response = post_new(owner_client, client_nl.pk, client=str(stranger.pk))
    assert response.status_code == 400
    assert "Client: choose one of the options offered." in errors_of(response)
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("nl", "1.234,56", Decimal("1234.56")),
        ("nl", "12,5", Decimal("12.5")),
        ("fr", "1 234,56", Decimal("1234.56")),
        ("fr", "1\u202f234,56", Decimal("1234.56")),
        ("fr", "12,5", Decimal("12.5")),
        ("en", "1,234.56", Decimal("1234.56")),
        ("en", "12.5", Decimal("12.5")),
    ],
)
def test_prices_are_typed_as_the_ui_language_writes_them(
    owner_client, client_nl, language, typed, expected
):
    in_language(owner_client, language)
    post_new(owner_client, client_nl.pk, **{"lines-0-unit_price": typed})
    assert Document.objects.get().lines.get().unit_price == expected


def test_a_dutch_page_shows_stored_numbers_with_a_decimal_comma(owner_client, company, client_nl):
    document = make_document(company, client_nl, lines=[("2.5", "12.75", "S", "21")])
    in_language(owner_client, "nl")
    fields = form_fields(
        owner_client.get(reverse("document_edit", args=[document.pk])).content.decode()
    )
    assert (fields["lines-0-quantity"], fields["lines-0-unit_price"]) == ("2,5", "12,75")


def test_a_dutch_message_names_the_field_in_dutch(owner_client, client_nl):
    in_language(owner_client, "nl")
    response = post_new(owner_client, client_nl.pk, **{"lines-0-quantity": "abc"})
    assert "12,5" in errors_of(response)


# --- Two tabs ---


def test_the_second_tab_s_save_is_refused_and_overwrites_nothing(owner_client, company, client_nl):
    document = make_document(company, client_nl)
    url = reverse("document_edit", args=[document.pk])
    first_tab = editor_payload(owner_client, url, {"note": "From the first tab"})
    second_tab = editor_payload(owner_client, url, {"note": "From the second tab"})
    assert first_tab["revision"] == second_tab["revision"] == "0"

    assert owner_client.post(url, first_tab).status_code == 302
    response = owner_client.post(url, second_tab)

    assert response.status_code == 400
    assert STALE in errors_of(response)
    document.refresh_from_db()
    assert (document.note, document.revision) == ("From the first tab", 1)


# --- Totals as the user types ---


def test_the_totals_fragment_matches_compute_totals(owner_client, client_nl):
    typed = one_line(
        client_nl.pk,
        **{
            "lines-0-quantity": "1500",
            "lines-0-unit_price": "12.3456",
            "lines-0-price_base_quantity": "1000",
            "lines-0-ac0-percentage": "10",
            "lines-0-ac0-reason_code": "95",
            "allowances-0-percentage": "5",
            "allowances-0-reason_code": "95",
            "prepaid_amount": "3",
        },
    )
    payload = editor_payload(owner_client, NEW, typed)
    response = owner_client.post(reverse("document_totals"), payload)
    html = response.content.decode()

    expected = compute_totals(
        [
            LineAmounts(
                Decimal("1500"),
                Decimal("12.3456"),
                "S",
                Decimal("21"),
                Decimal("1000"),
                (Adjustment(is_charge=False, percentage=Decimal("10")),),
            )
        ],
        Decimal("3"),
        [Adjustment(False, percentage=Decimal("5"), vat_category="S", vat_rate=Decimal("21"))],
    )
    for amount in (
        expected.line_nets[0],
        expected.allowance_total,
        expected.tax_exclusive,
        expected.tax_total,
        expected.tax_inclusive,
        expected.payable,
    ):
        assert format_amount(amount, "en") in html
    assert not Document.objects.exists()


def test_the_totals_are_formatted_in_dutch(owner_client, client_nl):
    in_language(owner_client, "nl")
    payload = editor_payload(
        owner_client, NEW, one_line(client_nl.pk, **{"lines-0-unit_price": "617,5"})
    )
    html = owner_client.post(reverse("document_totals"), payload).content.decode()
    assert "1.494,35\u00a0€" in html  # 1235 + 21 %


def test_an_invalid_row_is_shown_as_such_in_the_totals_never_a_server_error(
    owner_client, client_nl
):
    payload = editor_payload(owner_client, NEW, one_line(client_nl.pk, **{"lines-0-quantity": "x"}))
    response = owner_client.post(reverse("document_totals"), payload)
    assert response.status_code == 200
    assert "Line 1 is not counted: correct it." in response.content.decode()


def test_the_preview_renders_the_unsaved_draft_as_pdf_and_stores_nothing(
    owner_client, company, client_nl
):
    document = make_document(company, client_nl)
    url = reverse("document_edit", args=[document.pk])
    payload = editor_payload(owner_client, url, {"lines-0-name": "Changed, not saved"})
    response = owner_client.post(reverse("document_preview", args=[document.pk]), payload)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    document.refresh_from_db()
    assert (document.revision, document.lines.get().name) == (0, "Line 1")


# --- Finalize, duplicate, credit, delete ---


def test_the_finalize_confirmation_shows_the_number_it_will_take(owner_client, company, client_nl):
    make_finalized(company, client_nl)
    document = make_document(company, client_nl)
    response = owner_client.get(reverse("document_finalize", args=[document.pk]))
    year = document.created_at.year
    assert f"This invoice will be number {year}-00002 and can no longer be changed." in errors_of(
        response
    )
    document.refresh_from_db()
    assert document.is_draft


def test_the_finalize_confirmation_lists_the_problems_linked_to_their_fields(owner_client, company):
    document = make_document(company, None, lines=[("0", "10", "S", "21")])
    html = owner_client.get(reverse("document_finalize", args=[document.pk])).content.decode()
    edit = reverse("document_edit", args=[document.pk])
    assert f'href="{edit}#id_client">Choose a client: a finalized document needs one.' in html
    assert f'href="{edit}#line-1">Line 1 has quantity 0' in html
    assert "will be number" not in html


def test_a_refused_finalization_links_exemption_delivery_and_line_problems_to_their_fields(
    owner_client, company, client_nl
):
    document = make_document(
        company, client_nl, lines=[("1", "10", "S", "21"), ("1", "5", "K", "0")]
    )
    response = owner_client.post(reverse("document_finalize", args=[document.pk]))
    html = response.content.decode()
    edit = reverse("document_edit", args=[document.pk])
    assert response.status_code == 400
    assert f'href="{edit}#exemptions">Say why no VAT is charged for Intra-community' in html
    assert f'href="{edit}#id_delivery_date">An intra-community supply needs its delivery' in html
    assert f'href="{edit}#id_deliver_to_country">An intra-community supply needs the' in html


def test_the_finalize_page_links_a_problem_without_an_editor_field_to_its_section(
    owner_client, company, client_nl
):
    document = make_document(company, client_nl, currency="USD")
    html = owner_client.get(reverse("document_finalize", args=[document.pk])).content.decode()
    edit = reverse("document_edit", args=[document.pk])
    assert f'href="{edit}#section-document">Porto issues documents in EUR only' in html


def test_finalizing_gives_the_number_and_shows_the_document(owner_client, company, client_nl):
    document = make_document(company, client_nl)
    response = owner_client.post(reverse("document_finalize", args=[document.pk]))
    document.refresh_from_db()
    assert not document.is_draft
    assert response["Location"] == reverse("document", args=[document.pk])
    page = owner_client.get(response["Location"]).content.decode()
    assert "Credit this invoice" in page and "Duplicate" in page


def test_saving_with_then_finalize_goes_to_the_confirmation(owner_client, client_nl):
    payload = editor_payload(owner_client, NEW, one_line(client_nl.pk, then="finalize"))
    response = owner_client.post(NEW, payload)
    document = Document.objects.get()
    assert response["Location"] == reverse("document_finalize", args=[document.pk])


def test_duplicate_makes_a_new_draft_and_opens_the_editor(owner_client, company, client_nl):
    invoice = make_finalized(company, client_nl)
    response = owner_client.post(reverse("document_duplicate", args=[invoice.pk]))
    copy = Document.objects.exclude(pk=invoice.pk).get()
    assert response["Location"] == reverse("document_edit", args=[copy.pk])
    assert copy.is_draft and copy.kind == DocumentKind.INVOICE


def test_credit_this_invoice_makes_a_credit_note_draft(owner_client, company, client_nl):
    invoice = make_finalized(company, client_nl)
    owner_client.post(reverse("document_credit", args=[invoice.pk]))
    credit = Document.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert credit.corrects == invoice and credit.is_draft
    html = owner_client.get(reverse("document_edit", args=[credit.pk])).content.decode()
    assert form_fields(html)["corrects"] == str(invoice.pk)


def test_delete_asks_first_then_deletes_the_draft(owner_client, company, client_nl):
    document = make_document(company, client_nl)
    url = reverse("document_delete", args=[document.pk])
    assert "Delete this draft?" in owner_client.get(url).content.decode()
    assert Document.objects.exists()
    assert owner_client.post(url)["Location"] == reverse("documents")
    assert not Document.objects.exists()


def test_a_finalized_document_is_not_deleted(owner_client, company, client_nl):
    invoice = make_finalized(company, client_nl)
    owner_client.post(reverse("document_delete", args=[invoice.pk]))
    assert Document.objects.filter(pk=invoice.pk).exists()


# --- Tenant isolation and CSRF ---

PER_DOCUMENT = [
    "document_edit",
    "document_preview",
    "document_finalize",
    "document_duplicate",
    "document_credit",
    "document_delete",
]


@pytest.mark.parametrize("name", PER_DOCUMENT)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_gets_404_on_every_document_url(
    outsider_client, company, client_nl, name, method
):
    draft = make_document(company, client_nl)
    invoice = make_finalized(company, client_nl)
    for document in (draft, invoice):
        response = getattr(outsider_client, method)(reverse(name, args=[document.pk]))
        assert response.status_code == 404, (name, method, document.status)
    assert Document.objects.count() == 2
    draft.refresh_from_db()
    assert draft.is_draft


def test_an_outsider_cannot_start_a_document_for_another_company_s_client(
    outsider_client, client_nl
):
    assert outsider_client.get(f"{NEW}&client={client_nl.pk}").status_code == 404
    assert outsider_client.post(f"{NEW}&client={client_nl.pk}").status_code == 404


def test_an_outsider_s_totals_request_reads_nothing_of_the_company(outsider_client, client_nl):
    response = outsider_client.post(reverse("document_totals"), {"client": str(client_nl.pk)})
    assert response.status_code == 200
    assert client_nl.name not in response.content.decode()


def test_a_post_without_the_csrf_token_is_refused(owner, company, client_nl):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(owner)
    payload = editor_payload(http, NEW, one_line(client_nl.pk))
    payload.pop("csrfmiddlewaretoken")
    assert http.post(NEW, payload).status_code == 403
    document = make_document(company, client_nl)
    assert http.post(reverse("document_finalize", args=[document.pk])).status_code == 403
    assert http.post(reverse("document_delete", args=[document.pk])).status_code == 403
    assert Document.objects.count() == 1


@pytest.mark.parametrize("name", ["document_preview", "document_duplicate", "document_credit"])
def test_a_get_on_a_post_only_url_changes_nothing(owner_client, company, client_nl, name):
    invoice = make_finalized(company, client_nl)
    assert owner_client.get(reverse(name, args=[invoice.pk])).status_code == 405
    assert Document.objects.count() == 1


def test_a_teammate_may_edit_drafts(client, teammate, company, client_nl):
    client.force_login(teammate)
    document = make_document(company, client_nl)
    assert client.get(reverse("document_edit", args=[document.pk])).status_code == 200


def test_the_preview_of_a_new_document_stores_nothing(owner_client, client_nl):
    payload = editor_payload(owner_client, NEW, one_line(client_nl.pk))
    response = owner_client.post(f"{reverse('document_new_preview')}?kind=invoice", payload)
    assert response.content.startswith(b"%PDF")
    assert not Document.objects.exists()


def test_the_totals_list_the_line_amounts_in_the_order_on_screen(owner_client, company, client_nl):
    document = make_document(
        company, client_nl, lines=[("1", "10", "S", "21"), ("1", "20", "S", "21")]
    )
    url = reverse("document_edit", args=[document.pk])
    payload = editor_payload(owner_client, url, {"lines-0-ORDER": "2", "lines-1-ORDER": "1"})
    html = owner_client.post(reverse("document_totals"), payload).content.decode()
    assert html.index(format_amount(Decimal("20"), "en")) < html.index(
        format_amount(Decimal("10"), "en")
    )


def test_an_intra_community_draft_lists_its_missing_delivery_at_finalize(owner_client, company):
    german = make_foreign_client(company, "DE", "DE136695976")
    payload = editor_payload(
        owner_client, f"{NEW}&client={german.pk}", one_line(german.pk, then="finalize")
    )
    response = owner_client.post(NEW, payload)
    html = owner_client.get(response["Location"]).content.decode()
    edit = reverse("document_edit", args=[Document.objects.get().pk])
    assert (
        f'href="{edit}#id_delivery_date">An intra-community supply needs its delivery date: '
        "fill in the delivery date." in html
    )
    assert f'href="{edit}#id_deliver_to_country">' in html


def test_a_quote_cannot_be_credited(owner_client, company, client_nl):
    quote = make_finalized(company, client_nl, kind=DocumentKind.QUOTE)
    response = owner_client.post(reverse("document_credit", args=[quote.pk]), follow=True)
    assert (
        "Only a finalized invoice can be credited: finalize it first." in response.content.decode()
    )
    assert Document.objects.count() == 1


def test_an_other_document_asks_for_its_title(owner_client, client_nl):
    url = "/documents/new/?kind=other"
    payload = editor_payload(owner_client, url, one_line(client_nl.pk, title="Delivery note"))
    owner_client.post(url, payload)
    assert Document.objects.get().display_title == "Delivery note"


def test_a_refused_field_is_marked_invalid_and_described_by_its_message(owner_client, client_nl):
    html = errors_of(post_new(owner_client, client_nl.pk, **{"lines-0-quantity": "abc"}))
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_lines-0-quantity-error"' in html
    assert 'id="id_lines-0-quantity-error">Quantity: write a number' in html


def test_an_untouched_row_is_skipped_whatever_its_preset_choices(owner_client, client_nl):
    typed = {
        "allowances-0-vat_category": "E",
        "allowances-0-vat_rate": "0",
        "allowances-0-is_charge": "1",
    }
    response = post_new(owner_client, client_nl.pk, **typed)
    assert response.status_code == 302
    assert Document.objects.get().allowance_charges.count() == 0


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("nl", "1.234.567,89", Decimal("1234567.89")),
        ("nl", "1.500", Decimal("1500")),  # a Dutch reader's thousands separator
        ("nl", "12.5", Decimal("12.5")),  # a lone point that cannot group thousands
        ("nl", "-3,5", Decimal("-3.5")),
        ("fr", "1\u00a0234,5", Decimal("1234.5")),
        ("en", "1,500", Decimal("1500")),
        ("en", "12,5", Decimal("12.5")),
        ("en", "0.0001", Decimal("0.0001")),
        ("nl", "12a", None),
        ("nl", "1,2,3", None),
        ("en", "1.2.3", None),
        ("en", "-", None),
    ],
)
def test_typed_numbers_are_read_as_the_language_writes_them(language, typed, expected):
    assert parse_typed_number(typed, language) == expected

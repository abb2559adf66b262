"""Issue 12 end to end in a real Chromium: a company that has only its name fills its profile
and number series, adds a French business client on Peppol, writes an intra-community invoice
(a 3 % discount on the whole document, a delivery address, payment terms, a line priced per
1,000 pieces), finalizes it, sends it as PDF + UBL to the sandbox and sees it Delivered; then a
credit note is made from an invoice with "Credit this invoice". The UBL files pass the official
Peppol rules. Run with PORTO_UPDATE_SCREENSHOTS=1 to refresh the screenshots in the docs."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from porto.accounts.models import Company, Membership
from porto.clients.models import Client
from porto.documents.models import Document, DocumentKind, DocumentLine
from porto.documents.services import document_finalize
from porto.lib.formatting import format_amount
from porto.sandbox.models import SandboxMessage
from porto.sandbox.parsing import attachments, parse
from tests.browser_support import log_in, save_screenshot
from tests.einvoice_rules import assert_valid, xpath
from tests.factories import (
    make_client,
    make_company,
    make_document,
    make_user,
)
from tests.web.worker import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "s3cret-pass!"
YEAR = datetime.date.today().year

PROFILE = {
    "name": "Atelier Verbeke BV",
    "street": "Nijverheidsstraat 14",
    "postal_code": "8500",
    "city": "Kortrijk",
    "country": "BE",
    "kbo_number": "0403.170.701",
    "vat_number": "BE 0403.170.701",
    "iban": "BE68 5390 0754 7034",
    "bic": "GKCCBEBB",
    "email": "facturen@atelier-verbeke.example",
    "phone": "+32 56 21 43 65",
}
CLIENT = {
    "name": "Menuiserie Lefèvre SAS",
    "contact_name": "Service comptabilité",
    "street": "12 rue des Tanneurs",
    "postal_code": "59000",
    "city": "Lille",
    "vat_number": "FR40303265045",
    "peppol_id": "FR40303265045",
}
CLIENT_EMAIL = "comptabilite@menuiserie-lefevre.example"
EXEMPTION_TEXT = "Intra-community supply, article 39bis of the Belgian VAT Code"


def sign_up(company_name: str, username: str) -> None:
    """What sign-up leaves behind: a user, a company with only its name, the owner membership."""
    company = Company.objects.create(name=company_name, slug="atelier-verbeke")
    user = make_user(username=username)
    Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)


def fill_company_profile(page, screenshot) -> None:
    page.get_by_role("link", name="Company").click()
    page.get_by_role("heading", level=1).wait_for()
    for field, value in PROFILE.items():
        page.locator(f"#id_{field}").fill(value)
    page.locator("#id_default_language").select_option("nl")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The company profile is saved.").wait_for()
    screenshot(page, "company-profile")
    company = Company.objects.get()
    assert (company.kbo_number, company.vat_number, company.iban) == (
        "0403170701",
        "BE0403170701",
        "BE68539007547034",
    )
    assert (company.email, company.default_language) == (PROFILE["email"], "nl")


def set_invoice_series(page, live_server, screenshot) -> None:
    page.goto(live_server.url + reverse("number_series"))
    page.get_by_label("Prefix for invoices").fill("F")
    page.get_by_label("Next number for invoices").fill("101")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The number series are saved.").wait_for()
    screenshot(page, "number-series")


def create_french_client(page, screenshot) -> Client:
    page.get_by_role("link", name="Clients").click()
    page.locator(f"a[href='{reverse('client_new')}']").click()
    page.locator("#add-email-row").wait_for()  # shown by the form's script once it has run
    page.get_by_label("Business", exact=True).check()
    for field, value in CLIENT.items():
        page.locator(f"#id_{field}").fill(value)
    page.locator("#id_country").select_option("FR")
    page.locator("#id_language").select_option("fr")
    page.locator("#id_peppol_scheme").select_option("9957")
    page.locator("#id_emails-0-address").fill(CLIENT_EMAIL)
    page.locator("#id_emails-0-label").fill("Comptabilité")
    screenshot(page, "client-form")
    page.locator("form.client-form button[type=submit].primary").click()
    page.locator("h1", has_text=CLIENT["name"]).wait_for()
    assert CLIENT_EMAIL in page.locator("main").inner_text()
    screenshot(page, "client-page")
    page.get_by_role("link", name="Clients").first.click()
    page.locator("table.list tbody tr", has_text=CLIENT["name"]).wait_for()
    screenshot(page, "client-list")
    client = Client.objects.get(name=CLIENT["name"])
    assert (client.kind, client.country, client.language) == ("business", "FR", "fr")
    assert (client.peppol_scheme, client.peppol_id) == ("9957", CLIENT["vat_number"])
    assert list(client.emails.values_list("address", "is_default")) == [(CLIENT_EMAIL, True)]
    return client


def wait_for_total(page, total: str, text: str) -> None:
    expect(page.locator(f"#editor-totals [data-total={total}]")).to_have_text(text)


def write_intra_community_invoice(page, live_server, client: Client) -> None:
    page.goto(live_server.url + reverse("client", args=[client.pk]))
    page.get_by_role("link", name="New invoice").click()
    page.locator('[data-add="lines"]').wait_for()  # the editor's script has run
    page.fill("#id_order_reference", "PO-2026-118")

    page.fill('[name="lines-0-name"]', "Wood screws 4 x 40 mm")
    page.fill('[name="lines-0-quantity"]', "2500")
    page.select_option('[name="lines-0-unit_code"]', "C62")
    page.fill('[name="lines-0-unit_price"]', "42.50")
    page.fill('[name="lines-0-price_base_quantity"]', "1000")
    page.select_option('[name="lines-0-vat_category"]', "K")
    page.click('[data-add="lines"]')
    page.fill('[name="lines-1-name"]', "Oak worktop, oiled")
    page.fill('[name="lines-1-quantity"]', "3")
    page.fill('[name="lines-1-unit_price"]', "189")
    page.select_option('[name="lines-1-vat_category"]', "K")

    page.fill('[name="allowances-0-percentage"]', "3")
    page.select_option('[name="allowances-0-reason_code"]', "95")
    page.select_option('[name="allowances-0-vat_category"]', "K")
    page.select_option("#id_exemption_K_code", "VATEX-EU-IC")
    page.fill("#id_exemption_K_text", EXEMPTION_TEXT)

    assert page.locator("#delivery").get_attribute("open") is not None, "opened for category K"
    page.fill("#id_delivery_date", "2026-11-27")
    page.fill("#id_deliver_to_name", "Menuiserie Lefèvre, atelier")
    page.fill("#id_deliver_to_street", "3 rue de la Gare")
    page.fill("#id_deliver_to_postal_code", "59650")
    page.fill("#id_deliver_to_city", "Villeneuve-d'Ascq")
    page.fill("#id_deliver_to_country", "FR")
    page.fill("#id_payment_terms", "30 days net; 2 % discount if paid within 8 days")

    # 2,500 x 42.50 / 1,000 = 106.25; 3 x 189 = 567.00; lines 673.25; 3 % off = 20.20.
    wait_for_total(page, "excl", "€653.05")
    wait_for_total(page, "incl", "€653.05")


def test_from_an_empty_company_to_a_delivered_intra_community_invoice(
    live_server, page, sandbox, validator, screenshot
):
    sign_up("Atelier Verbeke BV", "els")
    log_in(page, live_server, "els", PASSWORD)
    page.get_by_role("heading", level=1).wait_for()
    fill_company_profile(page, screenshot)
    set_invoice_series(page, live_server, screenshot)
    client = create_french_client(page, screenshot)

    write_intra_community_invoice(page, live_server, client)
    shown = {
        total: page.locator(f'#editor-totals [data-total="{total}"]').inner_text()
        for total in ("excl", "incl", "due")
    }
    assert "-€20.20" in page.locator("[data-allowance-total]").inner_text()
    screenshot(page, "document-editor")
    page.get_by_role("button", name="Save and finalize…").click()

    page.locator(".finalize-number").wait_for()
    document = Document.objects.get()
    totals = document.compute_totals()
    assert shown == {
        "excl": format_amount(totals.tax_exclusive, "en"),
        "incl": format_amount(totals.tax_inclusive, "en"),
        "due": format_amount(totals.payable, "en"),
    }
    assert totals.tax_exclusive == totals.tax_inclusive == Decimal("653.05")
    number = f"F{YEAR}-00101"
    assert number in page.locator(".finalize-number").inner_text()
    screenshot(page, "finalize-confirmation")
    page.locator("form.editor-actions").get_by_role("button", name="Finalize").click()
    page.get_by_role("heading", name=number).wait_for()
    document.refresh_from_db()
    assert (document.number, document.is_draft) == (number, False)

    page.locator("#send-open").click()
    dialog = page.locator("#send-dialog")
    dialog.wait_for()
    assert dialog.locator("#to-chips li").first.inner_text().startswith(CLIENT_EMAIL)
    dialog.get_by_label("PDF + UBL").check()
    page.wait_for_load_state("networkidle")
    assert dialog.locator('[data-errors-for="file_format"]').inner_text() == ""
    dialog.get_by_role("button", name="Send", exact=True).click()
    badge = page.locator("#mail-timeline .mail-timeline__head .status-badge").first
    badge.wait_for()
    assert badge.inner_text() == "In transit"

    assert set(run_worker().values()) == {"sent"}
    page.reload()
    assert badge.inner_text() == "Delivered"

    [message] = SandboxMessage.objects.all()
    assert message.envelope_recipients == [CLIENT_EMAIL]
    [xml] = [
        a.content for a in attachments(parse(bytes(message.raw))) if a.filename.endswith(".xml")
    ]
    assert_valid(validator, xml)
    assert xpath(xml, "cbc:ID/text()") == [number]
    assert xpath(xml, "//cac:AccountingCustomerParty//cbc:EndpointID/@schemeID") == ["9957"]
    assert xpath(xml, "cac:AllowanceCharge/cbc:ChargeIndicator/text()") == ["false"]
    assert xpath(xml, "cac:AllowanceCharge/cbc:Amount/text()") == ["20.20"]
    assert xpath(xml, "cac:Delivery/cbc:ActualDeliveryDate/text()") == ["2026-11-27"]
    assert xpath(xml, "cac:Delivery//cbc:CityName/text()") == ["Villeneuve-d'Ascq"]
    assert xpath(xml, "cac:InvoiceLine/cac:Price/cbc:BaseQuantity/text()") == ["1000"]
    assert xpath(xml, "cac:InvoiceLine[1]/cbc:LineExtensionAmount/text()") == ["106.25"]
    assert xpath(xml, "//cac:TaxCategory/cbc:TaxExemptionReasonCode/text()") == ["VATEX-EU-IC"]
    assert xpath(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount/text()") == ["653.05"]


def test_a_credit_note_made_from_an_invoice_refers_to_it(live_server, page, validator, screenshot):
    company = make_company("Atelier Verbeke BV", slug="atelier-verbeke")
    make_user(company, username="els")
    client = make_client(company, name="Brouwerij Het Anker NV", language="nl")
    draft = make_document(company, client, lines=[("4", "75", "S", "21"), ("2", "120", "S", "21")])
    for line, name in zip(draft.lines.order_by("position"), ["Beer crates, oak", "Delivery"]):
        DocumentLine.objects.filter(pk=line.pk).update(name=name)
    invoice = document_finalize(draft)
    log_in(page, live_server, "els", PASSWORD)
    page.get_by_role("heading", level=1).wait_for()

    page.goto(live_server.url + reverse("document", args=[invoice.pk]))
    page.get_by_role("button", name="Credit this invoice").click()
    page.get_by_text(f"This credit note corrects invoice {invoice.number}").wait_for()
    credit_note = Document.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert page.url.endswith(reverse("document_edit", args=[credit_note.pk]))
    page.locator('[data-add="lines"]').wait_for()  # the editor's script has run
    page.fill('[name="lines-0-quantity"]', "1")
    # 1 x 75 + 2 x 120 = 315.00 excl. VAT; 21 % VAT 66.15
    wait_for_total(page, "incl", "€381.15")
    screenshot(page, "credit-note-draft")
    page.get_by_role("button", name="Save and finalize…").click()

    page.locator(".finalize-number").wait_for()
    page.locator("form.editor-actions").get_by_role("button", name="Finalize").click()
    credit_note.refresh_from_db()
    page.get_by_role("heading", name=credit_note.number).wait_for()
    assert not credit_note.is_draft and credit_note.corrects_id == invoice.pk
    corrects = page.locator("dl.facts dd").filter(has_text=invoice.number)
    assert corrects.get_by_role("link").get_attribute("href") == reverse(
        "document", args=[invoice.pk]
    )
    assert credit_note.total_incl_vat == Decimal("381.15")

    download = reverse("document_download", args=[credit_note.pk, "ubl"])
    xml = page.request.get(live_server.url + download).body()
    assert_valid(validator, xml)
    assert xpath(xml, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()") == [
        invoice.number
    ]
    assert xpath(xml, "cac:CreditNoteLine/cbc:CreditedQuantity/text()") == ["1", "2"]


CLIENT_NAMES = [
    "Brouwerij Het Anker NV",
    "Menuiserie Lefèvre SAS",
    "Bakkerij Peeters BV",
    "Café Élysée SPRL",
    "Drukkerij Vanden Broele NV",
    "Garage Dupont SRL",
]


def month_of_invoices(company, count: int) -> list[Document]:
    """A month of finalized invoices of several amounts, written in one INSERT."""
    clients = [make_client(company, name=name) for name in CLIENT_NAMES]
    excl = [Decimal("1250.00") + Decimal("87.35") * (n % 13) for n in range(count)]
    return Document.objects.bulk_create(
        Document(
            company=company,
            client=clients[n % len(clients)],
            kind=DocumentKind.INVOICE,
            status=Document.Status.FINALIZED,
            number=f"{YEAR}-{n + 1:05d}",
            sequence=n + 1,
            issue_date=datetime.date(YEAR, 11, 1 + n * 29 // count),
            total_excl_vat=excl[n],
            total_vat=(excl[n] * Decimal("0.21")).quantize(Decimal("0.01")),
            total_incl_vat=(excl[n] * Decimal("1.21")).quantize(Decimal("0.01")),
            client_snapshot={"name": clients[n % len(clients)].name},
        )
        for n in range(count)
    )


def test_the_overview_offers_every_document_that_matches_once_the_page_is_selected(
    live_server, page, tmp_path
):
    company = make_company("Atelier Verbeke BV", slug="atelier-verbeke")
    make_user(company, username="els")
    month_of_invoices(company, 55)
    log_in(page, live_server, "els", PASSWORD)
    page.get_by_role("heading", name="Documents").wait_for()
    page.wait_for_load_state()  # the overview's script has run

    select_matching = page.get_by_role(
        "button", name="Select all 55 documents that match this filter"
    )
    assert not select_matching.is_visible()  # offered once the whole page is selected
    page.get_by_label("Select all on this page").check()
    page.get_by_text("All 50 documents on this page are selected.").wait_for()
    select_matching.click()
    page.get_by_text("All 55 documents that match this filter are selected.").wait_for()
    assert page.locator("#selected-count").inner_text() == "55 ✓"
    # The window only: the whole list of 50 rows makes too large a picture for the docs.
    save_screenshot(page, tmp_path, "documents-overview-select-all", full_page=False)

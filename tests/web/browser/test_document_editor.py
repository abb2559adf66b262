"""A person who reads Dutch creates an invoice in the editor: two lines (one priced per 1000),
a 5 % discount on the whole document, totals that follow the typing, a line moved with the
keyboard, save, finalize through the confirmation, and the number on the page."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from porto.documents.models import Document
from tests.browser_support import log_in
from tests.factories import make_client, make_company, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "s3cret-pass!"


def test_a_dutch_user_creates_reorders_and_finalizes_an_invoice(live_server, page, screenshot):
    company = make_company("Bakkerij Janssens BV", slug="bakkerij-janssens")
    make_user(company, role="owner", username="an")
    client = make_client(company, name="Drukkerij Peeters NV")
    log_in(page, live_server, "an", PASSWORD)
    page.get_by_role("heading", level=1).wait_for()
    page.context.add_cookies([{"name": "django_language", "value": "nl", "url": live_server.url}])

    page.goto(f"{live_server.url}/documents/new/?kind=invoice&client={client.pk}")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.fill('[name="lines-0-name"]', "Advies")
    page.fill('[name="lines-0-quantity"]', "2")
    page.fill('[name="lines-0-unit_price"]', "100")
    excl = page.locator('#editor-totals [data-total="excl"]')
    expect(excl).to_contain_text("200,00")

    page.click('[data-add="lines"]')
    page.fill('[name="lines-1-name"]', "Papier")
    page.fill('[name="lines-1-quantity"]', "1500")
    page.select_option('[name="lines-1-unit_code"]', "KGM")
    page.fill('[name="lines-1-unit_price"]', "12,5")
    page.fill('[name="lines-1-price_base_quantity"]', "1000")
    page.fill('[name="allowances-0-percentage"]', "5")
    page.select_option('[name="allowances-0-reason_code"]', "95")
    # 200 + 1500 x 12.50 / 1000 = 218.75; 5 % off = 10.94; 207.81 + 21 % VAT = 251.45
    expect(page.locator('#editor-totals [data-total="incl"]')).to_contain_text("251,45")
    assert excl.inner_text() == "207,81\u00a0€"

    paper = page.locator('fieldset.line:has([name="lines-1-name"])')
    paper.locator('[data-move="up"]').focus()
    page.keyboard.press("Enter")
    first = page.locator("fieldset.line").first
    assert first.locator('[name$="-name"]').input_value() == "Papier"
    assert first.locator("[data-number]").inner_text() == "1"
    assert "1" in page.locator("#line-moved").inner_text()  # said to a screen reader
    screenshot(page, "document-editor")

    page.click("button.primary")
    document = Document.objects.get()
    page.wait_for_url(f"**/documents/{document.pk}/")
    page.click(f'a[href="/documents/{document.pk}/finalize/"]')
    number = f"{datetime.date.today().year}-00001"
    assert number in page.locator(".finalize-number").inner_text()
    page.click("form.editor-actions button.primary")
    page.wait_for_url(f"**/documents/{document.pk}/")
    page.get_by_role("heading", name=number).wait_for()

    document.refresh_from_db()
    assert document.number == number and not document.is_draft
    assert list(document.lines.values_list("name", flat=True)) == ["Papier", "Advies"]
    assert document.total_incl_vat == Decimal("251.45")

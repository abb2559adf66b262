"""A Dutch-speaking user creates a business client with a Peppol endpoint and two email
addresses in a real browser: the form adds address rows with its button, keeps one default,
shows a refusal in Dutch next to its field, and no page on the way shows English."""

import pytest
from django.urls import reverse

from porto.clients.models import Client
from tests.factories import make_company, make_user
from tests.web.browser.english import EnglishDetector, project_catalog
from tests.web.browser.test_no_english import Walk, data_strings, log_in_as, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TYPED = {
    "name": "Brouwerij Het Anker NV",
    "contact_name": "Dienst boekhouding",
    "street": "Guido Gezellelaan 49",
    "street2": "Gebouw B",
    "postal_code": "2800",
    "city": "Mechelen",
    "vat_number": "BE 0403.170.701",
    "kbo_number": "0403.170.701",
}


def test_a_business_client_with_a_peppol_endpoint_and_two_addresses_in_dutch(
    browser, live_server, screenshot
):
    company = make_company("Studio Lindeboom BV")
    make_user(company, username="lotte")
    context, page = new_page(browser, live_server, "nl")
    catalog = project_catalog()
    walk = Walk(
        page,
        live_server.url,
        lambda: EnglishDetector(catalog, "nl", [*data_strings(), *TYPED.values()]),
    )
    try:
        page.goto(live_server.url + reverse("login"))
        log_in_as(page, live_server, "lotte")
        walk.visit("clients, none yet", reverse("clients"))
        page.locator(f"a[href='{reverse('client_new')}']").click()
        page.locator("#add-email-row").wait_for()  # shown by the script once it has run
        rows = page.locator("#email-rows-body tr.email-row")
        assert rows.count() == 1, "with JavaScript, one empty row instead of three"
        walk.check("new client")

        for field, value in TYPED.items():
            page.locator(f"#id_{field}").fill(value)
        page.locator("#id_country").select_option("BE")
        page.locator("#id_language").select_option("nl")
        page.locator("#id_peppol_scheme").select_option("0208")
        page.locator("#id_peppol_id").fill("0403.170.702")  # a typing mistake
        page.locator("#id_emails-0-address").fill("boekhouding@hetanker.example")
        page.locator("#id_emails-0-label").fill("Boekhouding")
        page.locator("#add-email-row").click()
        assert rows.count() == 2
        assert page.evaluate("document.activeElement.id") == "id_emails-1-address"
        page.locator("#id_emails-1-address").fill("directie@hetanker.example")
        page.locator("#id_emails-1-label").fill("Directie")
        page.locator("#id_emails-0-is_default").check()
        page.locator("#id_emails-1-is_default").check()
        assert not page.locator("#id_emails-0-is_default").is_checked(), "one default at a time"
        page.locator("#id_emails-0-is_default").check()
        page.locator("form.client-form button[type=submit].primary").click()

        error = page.locator("#id_peppol_id_error p.error")
        error.wait_for()
        assert error.inner_text().startswith(
            "Bij schema 0208 is de identificatie het ondernemingsnummer van de klant:"
        )
        assert not Client.objects.exists(), "nothing saved"
        assert rows.count() == 2, "both addresses kept after the refusal"
        walk.check("new client, refused")
        screenshot(page, "client-form-refused")

        page.locator("#id_peppol_id").fill("0403.170.701")
        page.locator("form.client-form button[type=submit].primary").click()
        page.locator("h1", has_text=TYPED["name"]).wait_for()
        walk.check("client page")
        screenshot(page, "client-page")
        walk.visit("clients, searched", reverse("clients") + "?q=anker")
        assert page.locator("table.list tbody tr").count() == 1
        screenshot(page, "client-list")
    finally:
        context.close()

    client = Client.objects.get()
    assert (client.peppol_scheme, client.peppol_id) == ("0208", "0403170701")
    assert (client.vat_number, client.kbo_number) == ("BE0403170701", "0403170701")
    assert (client.street2, client.contact_name, client.language) == (
        "Gebouw B",
        "Dienst boekhouding",
        "nl",
    )
    assert list(
        client.emails.values_list("address", "label", "is_default").order_by("address")
    ) == [
        ("boekhouding@hetanker.example", "Boekhouding", True),
        ("directie@hetanker.example", "Directie", False),
    ]
    assert not walk.found, f"English on the Dutch pages:\n{walk.report()}"

"""The settings pages in a real Chromium: the SMTP fields follow the chosen method, and the
tracking checkbox is disabled with its reason once Own mailbox (SMTP) is saved."""

import pytest

from porto.emailsettings.selectors import email_settings_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner_page(page, live_server, owner):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def test_choosing_smtp_shows_its_fields_and_saving_disables_tracking(
    owner_page, live_server, company, screenshot
):
    page = owner_page
    page.goto(f"{live_server.url}/settings/email/")
    assert not page.is_visible("#id_smtp_host")
    screenshot(page, "email-settings")

    page.check("input[name=method][value=smtp]")
    assert page.is_visible("#id_smtp_host")
    assert not page.is_visible("#no-tls-warning")
    page.select_option("#id_smtp_security", "none")
    assert page.is_visible("#no-tls-warning")

    page.fill("#id_smtp_host", "smtp.acme.example")
    page.fill("#id_smtp_from_address", "facturen@acme.example")
    page.click("#method-title ~ form button.primary")
    page.wait_for_url(f"{live_server.url}/settings/email/")

    assert page.is_disabled("input[name=track_opens]")
    screenshot(page, "email-settings-smtp")
    assert page.is_visible("text=Not available with Own mailbox (SMTP)")
    assert email_settings_for(company).method == "smtp"
    page.goto(f"{live_server.url}/settings/email-texts/")
    screenshot(page, "email-texts")

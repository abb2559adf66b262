"""Settings > Email settings: who may do what, what is shown, and nothing saved on bad input."""

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse

from porto.emailsettings.models import EmailSettings
from porto.emailsettings.selectors import email_settings_for
from tests.emailsettings.conftest import PASSWORD, USERNAME

pytestmark = pytest.mark.django_db

PAGE = reverse("email_settings")
OPTIONS = reverse("email_settings_options")
METHOD = reverse("email_settings_method")
TEST = reverse("email_settings_test")


def method_data(**changes) -> dict:
    return {
        "method": "smtp",
        "smtp_host": "smtp.acme.example",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_username": USERNAME,
        "smtp_password": "",
        "smtp_from_address": "facturen@acme.example",
        "imap_host": "",
        "imap_port": "993",
        "imap_security": "tls",
        "imap_username": "",
        "imap_password": "",
        "imap_folder": "INBOX",
    } | changes


def options_data(**changes) -> dict:
    return {
        "sender_name": "Acme",
        "reply_to": "boekhouding@acme.example",
        "default_format": "pdf",
        "track_opens": "on",
    } | changes


def stored_row(company) -> dict:
    email_settings_for(company)
    return EmailSettings.objects.filter(company=company).values().get()


def test_login_required(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_owner_sees_both_forms(owner_client, company):
    response = owner_client.get(PAGE)
    assert response.status_code == 200
    assert b'action="/settings/email/method/"' in response.content
    assert b'action="/settings/email/options/"' in response.content
    assert b"Send test email" in response.content


def test_member_sees_the_method_but_cannot_change_it(client, teammate, company):
    client.force_login(teammate)
    page = client.get(PAGE)
    assert b'action="/settings/email/method/"' not in page.content
    assert b"Only an owner of the company can change the sending method" in page.content

    assert client.post(METHOD, method_data(smtp_password="x")).status_code == 403
    assert client.post(TEST, method_data(smtp_password="x")).status_code == 403
    assert email_settings_for(company).method == "platform"


def test_member_may_change_the_sending_options(client, teammate, company):
    client.force_login(teammate)
    response = client.post(OPTIONS, options_data())
    assert response.status_code == 302
    assert email_settings_for(company).reply_to == "boekhouding@acme.example"


def test_settings_are_per_company(outsider_client, company, other_company):
    outsider_client.post(OPTIONS, options_data(sender_name="Outsider"))
    assert email_settings_for(other_company).sender_name == "Outsider"
    assert email_settings_for(company).sender_name == ""


def test_csrf_is_checked(owner, company):
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.post(OPTIONS, options_data()).status_code == 403
    assert browser.post(METHOD, method_data(smtp_password="x")).status_code == 403


def test_switching_to_smtp_switches_tracking_off_and_says_so(owner_client, company):
    owner_client.post(OPTIONS, options_data())
    assert email_settings_for(company).track_opens is True

    response = owner_client.post(METHOD, method_data(smtp_password=PASSWORD), follow=True)

    stored = email_settings_for(company)
    assert (stored.method, stored.track_opens) == ("smtp", False)
    assert b"Open tracking is switched off" in response.content


def test_tracking_checkbox_is_disabled_with_the_reason_while_smtp(owner_client, company):
    owner_client.post(METHOD, method_data(smtp_password=PASSWORD))

    page = owner_client.get(PAGE).content.decode()

    checkbox = page[page.index('name="track_opens"') - 80 : page.index('name="track_opens"') + 80]
    assert "disabled" in checkbox
    assert "Not available with Own mailbox (SMTP)" in page
    owner_client.post(OPTIONS, options_data(track_opens="on"))  # a forged POST
    assert email_settings_for(company).track_opens is False


def test_tracking_checkbox_is_enabled_with_the_platform(owner_client):
    page = owner_client.get(PAGE).content.decode()
    checkbox = page[page.index('name="track_opens"') - 80 : page.index('name="track_opens"') + 80]
    assert "disabled" not in checkbox
    assert "Not available with Own mailbox (SMTP)" not in page


def test_password_is_never_shown_back_and_empty_keeps_it(owner_client, company):
    owner_client.post(METHOD, method_data(smtp_password="Sup3r-geheim!"))
    assert email_settings_for(company).smtp_password == "Sup3r-geheim!"

    page = owner_client.get(PAGE)
    assert b"Sup3r-geheim!" not in page.content
    owner_client.post(METHOD, method_data(smtp_host="mail.acme.example", smtp_password=""))

    stored = email_settings_for(company)
    assert stored.smtp_host == "mail.acme.example"
    assert stored.smtp_password == "Sup3r-geheim!"


def test_invalid_method_form_changes_nothing(owner_client, company):
    owner_client.post(METHOD, method_data(smtp_password="geheim"))
    before = stored_row(company)

    response = owner_client.post(
        METHOD,
        method_data(smtp_host="", smtp_from_address="not an address", smtp_password="nieuw"),
    )

    assert response.status_code == 200
    assert b"Nothing was saved" in response.content
    assert b"Give the SMTP server" in response.content
    assert b"not an address is not a valid email address" in response.content
    assert b"nieuw" not in response.content
    assert stored_row(company) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reply_to", "boekhouding at acme", b"is not a valid email address"),
        ("default_format", "docx", b"Select a valid choice"),
        ("sender_name", "x" * 101, b"at most 100 characters"),
    ],
)
def test_invalid_options_change_nothing(owner_client, company, field, value, message):
    owner_client.post(OPTIONS, options_data())
    before = stored_row(company)

    response = owner_client.post(OPTIONS, options_data(**{field: value}))

    assert response.status_code == 200
    assert message in response.content
    assert stored_row(company) == before


def test_port_out_of_range_is_refused(owner_client, company):
    response = owner_client.post(METHOD, method_data(smtp_port="70000", smtp_password="x"))
    assert b"less than or equal to 65535" in response.content
    assert email_settings_for(company).method == "platform"


def test_send_test_email_reports_each_step_and_saves_nothing(
    owner_client, owner, company, starttls_server, trust_test_ca
):
    before = stored_row(company)

    response = owner_client.post(
        TEST,
        method_data(
            smtp_host=starttls_server.host,
            smtp_port=str(starttls_server.port),
            smtp_password=PASSWORD,
        ),
    )

    page = response.content.decode()
    assert "The test email was sent." in page
    assert f"Connected to 127.0.0.1:{starttls_server.port}." in page
    assert f"Logged in as {USERNAME}." in page
    [(_, rcpt_tos, _)] = starttls_server.handler.messages
    assert rcpt_tos == [owner.email]
    assert stored_row(company) == before


def test_send_test_email_with_a_wrong_password_says_which_step(
    owner_client, company, starttls_server, trust_test_ca
):
    response = owner_client.post(
        TEST,
        method_data(
            smtp_host=starttls_server.host,
            smtp_port=str(starttls_server.port),
            smtp_password="wrong",
        ),
    )

    page = response.content.decode()
    assert "The test email could not be sent." in page
    assert "Your SMTP server refused the login (535)" in page
    assert starttls_server.handler.messages == []


def test_send_test_email_uses_the_stored_password_when_left_empty(
    owner_client, company, starttls_server, trust_test_ca
):
    server = {"smtp_host": starttls_server.host, "smtp_port": str(starttls_server.port)}
    owner_client.post(METHOD, method_data(smtp_password=PASSWORD, **server))

    response = owner_client.post(TEST, method_data(smtp_password="", **server))

    assert b"The test email was sent." in response.content


def test_saving_without_encryption_warns(owner_client, company):
    response = owner_client.post(
        METHOD, method_data(smtp_security="none", smtp_password="x"), follow=True
    )
    assert email_settings_for(company).smtp_security == "none"
    assert b"Your SMTP connection is not encrypted" in response.content


def test_imap_server_needs_a_username(owner_client, company):
    response = owner_client.post(
        METHOD, method_data(smtp_password="x", imap_host="imap.acme.example")
    )
    assert b"Give the IMAP username" in response.content
    assert email_settings_for(company).imap_host == ""

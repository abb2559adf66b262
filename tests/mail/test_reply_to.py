"""Replies go where Settings > Email settings says: the reply-to address, or when it is empty
the company's address ("Empty: your company's email address."), with either sending method.
Read from the message a real SMTP server received."""

import pytest

from porto.emailsettings.models import EmailSettings
from porto.emailsettings.selectors import email_settings_for
from porto.mail.delivery import email_deliver
from porto.mail.requests import SendRequest, email_send
from tests.mail.smtpd import Rules, SmtpTestServer


@pytest.fixture
def own_server():
    server = SmtpTestServer(Rules())
    server.start()
    yield server
    server.stop()


def use_own_smtp(company, port: int, reply_to: str = "") -> None:
    email_settings = email_settings_for(company)
    email_settings.method = "smtp"
    email_settings.smtp_host = "127.0.0.1"
    email_settings.smtp_port = port
    email_settings.smtp_security = "none"
    email_settings.smtp_from_address = "mailer@smtp-account.example"
    email_settings.reply_to = reply_to
    email_settings.save()


def received_headers(server: SmtpTestServer, invoice) -> dict[str, str]:
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "sent"
    [received] = server.received
    message = received.message
    return {"From": str(message["From"]), "Reply-To": str(message["Reply-To"] or "")}


def test_the_help_text_promises_the_company_address_when_reply_to_is_empty():
    help_text = str(EmailSettings._meta.get_field("reply_to").help_text)
    assert help_text == "Replies from clients go here. Empty: your company's email address."


def test_own_smtp_with_an_empty_reply_to_sends_reply_to_the_company_address(
    own_server, company, invoice
):
    use_own_smtp(company, own_server.port_number)
    headers = received_headers(own_server, invoice)
    assert "mailer@smtp-account.example" in headers["From"]
    assert headers["Reply-To"] == company.email


def test_own_smtp_with_a_reply_to_sends_it(own_server, company, invoice):
    use_own_smtp(company, own_server.port_number, reply_to="boekhouding@acme.example")
    assert received_headers(own_server, invoice)["Reply-To"] == "boekhouding@acme.example"


def test_the_platform_with_an_empty_reply_to_sends_reply_to_the_company_address(
    smtp_server, company, invoice
):
    assert email_settings_for(company).reply_to == ""
    headers = received_headers(smtp_server, invoice)
    assert company.slug in headers["From"]
    assert headers["Reply-To"] == company.email


def test_no_reply_to_when_it_would_repeat_the_from_address(own_server, company, invoice):
    use_own_smtp(company, own_server.port_number, reply_to="mailer@smtp-account.example")
    assert received_headers(own_server, invoice)["Reply-To"] == ""

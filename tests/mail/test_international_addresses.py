"""Internationalised addresses against real SMTP servers: domains go out as IDNA (xn--); a local
part outside ASCII goes with SMTPUTF8 when the server offers it and is refused in the send
dialog, before anything is queued, when the way out cannot carry it."""

from email import message_from_string, policy

import pytest
from aiosmtpd.smtp import SMTP
from django.core.exceptions import ValidationError

from porto.emailsettings.selectors import email_settings_for
from porto.emailsettings.services import email_settings_update, smtp_test_send
from porto.mail.delivery import email_deliver
from porto.mail.models import OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, bulk_send, email_send
from porto.sandbox.models import SandboxMessage
from tests.factories import make_client, make_finalized
from tests.mail.smtpd import Rules, SmtpTestServer
from tests.mail.test_smtp_transport import use_own_smtp

JOSE = "josé@example.com"
BAECKEREI = "jan@bäckerei.example"
BAECKEREI_IDNA = "jan@xn--bckerei-5wa.example"


class EhloServer(SmtpTestServer):
    """The test server, offering SMTPUTF8 (RFC 6531) in its EHLO or not."""

    def __init__(self, *, smtputf8: bool) -> None:
        super().__init__(Rules())
        self.smtputf8 = smtputf8

    def factory(self):
        return SMTP(self.handler, **{**self.SMTP_kwargs, "enable_SMTPUTF8": self.smtputf8})


@pytest.fixture
def utf8_server():
    server = EhloServer(smtputf8=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ascii_server(settings):
    """A server without SMTPUTF8; the sandbox transport points at it."""
    server = EhloServer(smtputf8=False)
    server.start()
    settings.PORTO_SANDBOX_SMTP_HOST = "127.0.0.1"
    settings.PORTO_SANDBOX_SMTP_PORT = server.port_number
    settings.PORTO_MAIL_TRANSPORT = "sandbox"
    yield server
    server.stop()


@pytest.fixture
def utf8_sandbox_transport(settings, utf8_server):
    settings.PORTO_SANDBOX_SMTP_HOST = "127.0.0.1"
    settings.PORTO_SANDBOX_SMTP_PORT = utf8_server.port_number
    settings.PORTO_MAIL_TRANSPORT = "sandbox"
    return utf8_server


def send(invoice, *to: str) -> OutgoingEmail:
    return email_send(SendRequest(document=invoice, to=list(to)))


def test_an_idna_domain_is_delivered_as_xn_in_envelope_and_headers(smtp_server, invoice):
    email = send(invoice, f"Jan Bäcker <{BAECKEREI}>")
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert received.rcpt_tos == [BAECKEREI_IDNA]
    assert "SMTPUTF8" not in received.mail_options
    assert received.data.isascii()
    assert f"<{BAECKEREI_IDNA}>".encode() in received.data
    [recipient] = email.recipients.all()
    assert recipient.address == BAECKEREI
    assert recipient.accepted_at is not None


def test_an_idna_reply_to_goes_out_as_xn(smtp_server, company, invoice):
    email_settings_update(email_settings_for(company), {"reply_to": "office@bäckerei.example"})
    email = send(invoice, "compta@cafe-elysee.example")
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert str(received.message["Reply-To"]) == "office@xn--bckerei-5wa.example"


def test_a_utf8_local_part_is_delivered_with_smtputf8_when_offered(utf8_sandbox_transport, invoice):
    email = send(invoice, f"José Peeters <{JOSE}>", BAECKEREI)
    assert email_deliver(email.pk) == "sent"
    [received] = utf8_sandbox_transport.received
    assert "SMTPUTF8" in received.mail_options
    assert sorted(received.rcpt_tos) == sorted([JOSE, BAECKEREI_IDNA])
    assert f"<{JOSE}>".encode() in received.data  # raw UTF-8 in the header, as RFC 6532 says
    message = message_from_string(received.data.decode("utf-8"), policy=policy.default)
    addresses = [a.addr_spec for a in message["To"].addresses]  # type: ignore[union-attr]
    assert addresses == [JOSE, BAECKEREI_IDNA]
    assert {r.address for r in email.recipients.filter(accepted_at__isnull=False)} == {
        JOSE,
        BAECKEREI,
    }


def test_own_smtp_offering_smtputf8_delivers_a_utf8_local_part(utf8_server, company, invoice):
    use_own_smtp(company, utf8_server.port_number)
    email = send(invoice, JOSE)
    assert email_deliver(email.pk) == "sent"
    [received] = utf8_server.received
    assert received.rcpt_tos == [JOSE]
    assert "SMTPUTF8" in received.mail_options


def test_own_smtp_without_smtputf8_is_refused_in_the_popup_before_queueing(
    ascii_server, company, invoice
):
    use_own_smtp(company, ascii_server.port_number)
    with pytest.raises(ValidationError) as caught:
        send(invoice, JOSE)
    assert caught.value.messages == [
        f"{JOSE} has accents or other non-ASCII letters before the @, and your SMTP server "
        "127.0.0.1 does not accept such addresses (SMTPUTF8): use another address."
    ]
    assert not OutgoingEmail.objects.exists()
    assert ascii_server.received == []


def test_own_smtp_that_cannot_be_reached_is_refused_in_the_popup(company, invoice):
    use_own_smtp(company, 9)  # the discard port: nothing listens here
    with pytest.raises(ValidationError):
        send(invoice, JOSE)
    assert not OutgoingEmail.objects.exists()


def test_the_platform_provider_is_refused_in_the_popup_for_a_utf8_local_part(settings, invoice):
    settings.PORTO_MAIL_TRANSPORT = "provider"
    with pytest.raises(ValidationError) as caught:
        send(invoice, "compta@cafe-elysee.example", JOSE)
    assert caught.value.messages == [
        f"{JOSE} has accents or other non-ASCII letters before the @, which Porto's sending "
        "service cannot deliver: use another address."
    ]
    assert not OutgoingEmail.objects.exists()


def test_an_idna_domain_is_not_refused_for_the_provider(settings, invoice):
    settings.PORTO_MAIL_TRANSPORT = "provider"
    assert send(invoice, BAECKEREI).recipients.get().address == BAECKEREI


def test_bulk_send_skips_a_client_whose_address_the_provider_cannot_carry(settings, company):
    settings.PORTO_MAIL_TRANSPORT = "provider"
    client = make_client(company, language="nl", emails=(JOSE,))
    document = make_finalized(company, client)
    job = bulk_send(company, [document.pk])
    assert not OutgoingEmail.objects.exists()
    assert [reason_render(s["reason"]) for s in job.skipped] == [
        f"This document cannot be sent: {JOSE} has accents or other non-ASCII letters before the @, which Porto's sending "
        "service cannot deliver: use another address."
    ]


def test_a_server_that_stopped_offering_smtputf8_fails_the_email_with_a_plain_reason(
    ascii_server, invoice
):
    """Queued while the way out took SMTPUTF8; the server no longer offers it: no
    UnicodeEncodeError, no retries, a reason a person understands."""
    email = send(invoice, JOSE)
    assert email_deliver(email.pk) == "failed"
    assert ascii_server.received == []
    [recipient] = email.recipients.all()
    assert "(SMTPUTF8)" in reason_render(recipient.failure_reason)
    assert "UnicodeEncodeError" not in reason_render(recipient.failure_reason)


def test_settings_refuse_a_reply_to_with_a_utf8_local_part(company):
    with pytest.raises(ValidationError) as caught:
        email_settings_update(email_settings_for(company), {"reply_to": JOSE})
    assert caught.value.message_dict["reply_to"][0].startswith(
        "Use an address without accents or other non-ASCII letters before the @"
    )


def test_the_sandbox_accepts_and_stores_a_utf8_local_part(sandbox, invoice):
    email = send(invoice, f"José <{JOSE}>")
    assert email_deliver(email.pk) == "sent"
    [stored] = SandboxMessage.objects.all()
    assert stored.envelope_recipients == [JOSE]
    assert JOSE in stored.to_header


def test_the_smtp_test_email_goes_to_a_utf8_address_with_smtputf8(utf8_server, company):
    use_own_smtp(company, utf8_server.port_number)
    report = smtp_test_send(email_settings_for(company), JOSE)
    assert report.ok, report.steps
    [received] = utf8_server.received
    assert received.rcpt_tos == [JOSE]
    assert "SMTPUTF8" in received.mail_options


def test_the_smtp_test_email_says_when_the_server_lacks_smtputf8(ascii_server, company):
    use_own_smtp(company, ascii_server.port_number)
    report = smtp_test_send(email_settings_for(company), JOSE)
    assert not report.ok
    failed = [s for s in report.steps if s.state == "failed"]
    assert [s.message for s in failed] == [
        "The server does not accept addresses with accents or other non-ASCII letters before "
        f"the @ (SMTPUTF8), like {JOSE}."
    ]
    assert ascii_server.received == []

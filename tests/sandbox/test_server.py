"""The sandbox server over real SMTP (smtplib client, aiosmtpd server in this process)."""

import smtplib

import pytest
from django.db import connection

from porto.sandbox.models import SandboxMessage
from tests.sandbox.conftest import MAX_MESSAGE_BYTES
from tests.sandbox.helpers import build_email

SENDER = "acme-bv@send.example"


def test_accepted_message_is_stored_byte_for_byte(smtp, company):
    raw = build_email(company_id=company.pk, email_id=42)

    refused = smtp.sendmail(SENDER, ["boekhouding@klant.example"], raw)

    assert refused == {}
    stored = SandboxMessage.objects.get()
    assert bytes(stored.raw) == raw
    assert stored.size == len(raw)
    assert stored.envelope_from == SENDER
    assert stored.envelope_recipients == ["boekhouding@klant.example"]
    assert stored.company == company
    assert stored.porto_email_id == 42
    assert stored.subject == "Factuur 2026-00042"
    assert stored.from_header == "Acme BV <acme-bv@send.example>"
    assert stored.message_id.startswith("<") and stored.message_id.endswith("@send.example>")
    assert stored.attachment_count == 1
    assert stored.date_header.isoformat() == "2026-03-02T10:30:00+00:00"


def test_unknown_company_header_stores_the_message_without_a_company(smtp, company):
    raw = build_email(company_id=company.pk + 1000)

    smtp.sendmail(SENDER, ["boekhouding@klant.example"], raw)

    assert SandboxMessage.objects.get().company is None


def test_invalid_domain_is_refused_at_rcpt_while_the_other_recipient_is_accepted(smtp):
    raw = build_email()

    refused = smtp.sendmail(SENDER, ["nobody@klant.invalid", "boekhouding@klant.example"], raw)

    assert refused == {
        "nobody@klant.invalid": (
            550,
            b"5.1.1 The email account that you tried to reach does not exist",
        )
    }
    assert SandboxMessage.objects.get().envelope_recipients == ["boekhouding@klant.example"]


def test_rcpt_reply_codes_one_by_one(smtp):
    smtp.ehlo()
    smtp.mail(SENDER)

    assert smtp.rcpt("someone@mail.invalid")[0] == 550
    assert smtp.rcpt("someone+defer@klant.example")[0] == 451
    assert smtp.rcpt("someone@klant.example")[0] == 250


def test_defer_address_gets_451_twice_then_250(smtp):
    raw = build_email(to="finance+defer@klant.example")
    replies = []
    for _attempt in range(3):
        try:
            smtp.sendmail(SENDER, ["finance+defer@klant.example"], raw)
            replies.append(250)
        except smtplib.SMTPRecipientsRefused as error:
            ((code, text),) = error.recipients.values()
            assert text == b"4.3.0 Try again later"
            replies.append(code)

    assert replies == [451, 451, 250]
    assert SandboxMessage.objects.count() == 1


def test_defer_counts_per_address(smtp):
    smtp.ehlo()
    smtp.mail(SENDER)

    codes = [
        smtp.rcpt("a+defer@klant.example")[0],
        smtp.rcpt("b+defer@klant.example")[0],
        smtp.rcpt("a+defer@klant.example")[0],
        smtp.rcpt("a+defer@klant.example")[0],
        smtp.rcpt("b+defer@klant.example")[0],
    ]

    assert codes == [451, 451, 451, 250, 451]


def test_message_over_the_size_limit_is_refused_at_mail_from_when_size_is_declared(smtp):
    raw = build_email(attachments=(("big.pdf", "application/pdf", b"x" * MAX_MESSAGE_BYTES),))

    with pytest.raises(smtplib.SMTPSenderRefused) as caught:
        smtp.sendmail(SENDER, ["boekhouding@klant.example"], raw)

    assert caught.value.smtp_code == 552
    assert not SandboxMessage.objects.exists()


def test_message_over_the_size_limit_is_refused_after_data_when_size_is_not_declared(smtp):
    raw = build_email(attachments=(("big.pdf", "application/pdf", b"x" * MAX_MESSAGE_BYTES),))
    smtp.ehlo()
    smtp.mail(SENDER)
    smtp.rcpt("boekhouding@klant.example")

    code, text = smtp.data(raw)

    assert (code, text) == (552, b"Error: Too much mail data")
    assert not SandboxMessage.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"no headers at all, only text\r\n",
        b"Subject: =?x-unknown?Q?broken?=\r\nDate: yesterday-ish\r\nFrom: <<<\r\n"
        b"Content-Type: text/html; charset=x-no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n%%% not base64 \xff\xfe\r\n",
        b"Content-Type: multipart/mixed; boundary=never-closed\r\n\r\n--never-closed\r\n"
        b"Content-Type: application/pdf; name*=utf-8''%ZZbad\r\n\r\n\x00\x01\r\n",
    ],
    ids=["no-headers", "bad-headers-and-charset", "unclosed-multipart"],
)
def test_malformed_message_is_stored_and_the_server_keeps_going(smtp, raw):
    smtp.sendmail(SENDER, ["boekhouding@klant.example"], raw)
    smtp.sendmail(SENDER, ["boekhouding@klant.example"], build_email())

    first, second = SandboxMessage.objects.order_by("pk")
    assert bytes(first.raw) == raw
    assert second.subject == "Factuur 2026-00042"


def test_database_error_answers_451_and_the_server_recovers(smtp):
    with connection.schema_editor() as editor:
        editor.delete_model(SandboxMessage)
    try:
        with pytest.raises(smtplib.SMTPDataError) as caught:
            smtp.sendmail(SENDER, ["boekhouding@klant.example"], build_email())
        assert caught.value.smtp_code == 451
        assert b"try again later" in caught.value.smtp_error
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(SandboxMessage)

    smtp.sendmail(SENDER, ["boekhouding@klant.example"], build_email())
    assert SandboxMessage.objects.count() == 1


def test_a_table_locked_for_a_moment_is_waited_out_and_the_message_stored_once(smtp, monkeypatch):
    from django.db import OperationalError

    from porto.sandbox import smtp_server

    real = smtp_server.sandbox_message_receive
    tries = []

    def locked_twice(**kwargs):
        tries.append(1)
        if len(tries) <= 2:
            raise OperationalError("database table is locked: mail_outgoingemail")
        return real(**kwargs)

    monkeypatch.setattr(smtp_server, "sandbox_message_receive", locked_twice)
    monkeypatch.setattr(smtp_server, "LOCKED_RETRY_PAUSES", (0.01, 0.01, 0.01))

    assert smtp.sendmail(SENDER, ["boekhouding@klant.example"], build_email()) == {}
    assert len(tries) == 3
    assert SandboxMessage.objects.count() == 1


def test_a_lock_that_lasts_answers_451_after_the_last_try(smtp, monkeypatch):
    from django.db import OperationalError

    from porto.sandbox import smtp_server

    tries = []

    def always_locked(**kwargs):
        tries.append(1)
        raise OperationalError("database table is locked: sandbox_sandboxmessage")

    monkeypatch.setattr(smtp_server, "sandbox_message_receive", always_locked)
    monkeypatch.setattr(smtp_server, "LOCKED_RETRY_PAUSES", (0.01, 0.01, 0.01))

    with pytest.raises(smtplib.SMTPDataError) as caught:
        smtp.sendmail(SENDER, ["boekhouding@klant.example"], build_email())
    assert caught.value.smtp_code == 451
    assert len(tries) == 4
    assert SandboxMessage.objects.count() == 0

"""Own-mailbox feedback: delivery reports read from a real (local, in-process) IMAP server."""

import datetime
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from porto.emailsettings.selectors import email_settings_for
from porto.mail.feedback.imap import ImapScanError, imap_scan
from porto.mail.feedback.refresh.services import email_refresh, refresh_refusal
from porto.mail.models import DeliveryEvent, ImapCursor, Recipient
from porto.mail.reasons import reason_render
from porto.mail.status import Status
from tests.factories import make_client, make_company, make_email, make_finalized
from tests.mail.imapd import Folder, ImapTestServer, Mailbox

SENT = datetime.datetime(2026, 11, 20, 14, 14, tzinfo=datetime.UTC)
NOW = SENT + datetime.timedelta(hours=3)


def dsn(
    *,
    message_id: str = "",
    envid: str = "",
    action: str = "failed",
    status: str = "5.1.1",
    recipient: str = "gone@klant.example",
    diagnostic: str = "smtp; 550 5.1.1 <gone@klant.example>: Recipient address rejected: "
    "User unknown in virtual mailbox table",
    own_id: str = "dsn.1@mail.acme.example",
) -> bytes:
    """An RFC 3464 report as Postfix writes it, built with the email package."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mail.acme.example (Mail Delivery System)"
    report["To"] = "office@acme.example"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Date"] = "Fri, 20 Nov 2026 15:20:00 +0100"
    report["Message-ID"] = f"<{own_id}>"
    report.attach(
        MIMEText("I'm sorry to have to inform you that your message could not be delivered.")
    )
    per_message = Message()
    per_message["Reporting-MTA"] = "dns; mail.acme.example"
    if envid:
        per_message["Original-Envelope-Id"] = envid
    per_message["Arrival-Date"] = "Fri, 20 Nov 2026 15:14:03 +0100"
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Original-Recipient"] = f"rfc822;{recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Remote-MTA"] = "dns; mx.klant.example"
    if action != "delivered":
        per_recipient["Diagnostic-Code"] = diagnostic
    per_recipient["Last-Attempt-Date"] = "Fri, 20 Nov 2026 15:19:58 +0100"
    status_part = MIMEBase("message", "delivery-status")
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)
    headers = (
        f"Message-ID: <{message_id}>\nFrom: Acme BV <office@acme.example>\n"
        f"To: {recipient}\nSubject: Invoice 2026-00001\n"
    )
    report.attach(MIMEText(headers, "rfc822-headers"))
    return report.as_bytes()


def qmail_bounce(message_id: str) -> bytes:
    """A non-standard bounce, the way qmail writes it: plain text, the message quoted."""
    return (
        "From: MAILER-DAEMON@mail.klant.example\r\nTo: office@acme.example\r\n"
        "Subject: failure notice\r\nDate: Fri, 20 Nov 2026 15:20:00 +0100\r\n"
        "Message-ID: <qmail.1@mail.klant.example>\r\n\r\n"
        "Hi. This is the qmail-send program at mail.klant.example.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        "<gone@klant.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        f"Return-Path: <office@acme.example>\r\nMessage-ID: <{message_id}>\r\n"
        "To: gone@klant.example\r\nSubject: Invoice 2026-00001\r\n\r\nDear client\r\n"
    ).encode()


@pytest.fixture
def server():
    with ImapTestServer(
        Mailbox(folders={"INBOX": Folder(uidvalidity=7), "Bounces": Folder()})
    ) as s:
        yield s


@pytest.fixture
def imap_company(company, server):
    config = email_settings_for(company)
    config.method = "smtp"
    config.smtp_host = "smtp.acme.example"
    config.smtp_from_address = "office@acme.example"
    config.imap_host = "127.0.0.1"
    config.imap_port = server.port
    config.imap_security = "none"
    config.imap_username = "acme"
    config.imap_password = "imap-secret"
    config.imap_folder = "INBOX"
    config.save()
    return company


@pytest.fixture
def sent(invoice, imap_company):
    return make_email(
        invoice, transport="smtp", handed_off_at=SENT, to=("gone@klant.example", "ok@klant.example")
    )


def inbox(server) -> Folder:
    return server.mailbox.folders["INBOX"]


def test_a_dsn_makes_the_recipient_failed_with_the_reason(server, sent, imap_company):
    inbox(server).add(dsn(message_id=sent.message_id))
    result = imap_scan(imap_company, now=NOW)
    assert (result.read, result.recorded, result.ignored) == (1, 1, 0)
    gone = Recipient.objects.select_related("email").get(email=sent, address="gone@klant.example")
    assert gone.status(NOW) == Status.FAILED
    assert reason_render(gone.failure_reason).startswith(
        "The recipient's server says the mailbox does not exist"
    )
    assert "550 5.1.1" in reason_render(gone.failure_reason)
    assert gone.failed_at == datetime.datetime(2026, 11, 20, 14, 19, 58, tzinfo=datetime.UTC)
    ok = Recipient.objects.select_related("email").get(email=sent, address="ok@klant.example")
    assert ok.status(NOW) == Status.IN_TRANSIT
    assert any("EXAMINE" in c for c in server.mailbox.commands)  # read-only: nothing changed


def test_matched_by_envid_delayed_then_delivered(server, sent, imap_company):
    inbox(server).add(
        dsn(
            envid=str(sent.public_id),
            action="delayed",
            status="4.4.1",
            own_id="d1@x",
            diagnostic="smtp; 451 4.4.1 Connection timed out",
        )
    )
    inbox(server).add(
        dsn(envid=str(sent.public_id), action="delivered", status="2.0.0", own_id="d2@x")
    )
    imap_scan(imap_company, now=NOW)
    gone = Recipient.objects.select_related("email").get(email=sent, address="gone@klant.example")
    assert gone.last_deferred_at is not None
    assert gone.status(NOW) == Status.DELIVERED


def test_a_non_standard_bounce_through_flufl_bounce(server, sent, imap_company):
    inbox(server).add(qmail_bounce(sent.message_id))
    assert imap_scan(imap_company, now=NOW).recorded == 1
    gone = Recipient.objects.select_related("email").get(email=sent, address="gone@klant.example")
    assert gone.status(NOW) == Status.FAILED
    assert "5.1.1" in reason_render(gone.failure_reason)


def test_messages_are_not_read_twice(server, sent, imap_company):
    inbox(server).add(dsn(message_id=sent.message_id))
    assert imap_scan(imap_company, now=NOW).read == 1
    assert imap_scan(imap_company, now=NOW).read == 0  # "2:*" still names UID 1: skipped
    inbox(server).add(
        dsn(
            message_id=sent.message_id,
            recipient="ok@klant.example",
            action="delivered",
            status="2.0.0",
            own_id="dsn.2@x",
        )
    )
    assert imap_scan(imap_company, now=NOW).read == 1
    cursor = ImapCursor.objects.get(company=imap_company)
    assert (cursor.uidvalidity, cursor.last_uid) == (7, 2)
    assert DeliveryEvent.objects.filter(source="imap").count() == 2


def test_a_new_uidvalidity_reads_again_without_double_events(server, sent, imap_company):
    inbox(server).add(dsn(message_id=sent.message_id))
    imap_scan(imap_company, now=NOW)
    inbox(server).uidvalidity = 8  # the server renumbered its messages
    result = imap_scan(imap_company, now=NOW)
    assert (result.read, result.recorded) == (1, 0)  # read again, recorded once
    assert DeliveryEvent.objects.filter(source="imap").count() == 1


def test_a_report_about_someone_elses_message_is_ignored(server, sent, imap_company, invoice):
    other = make_company("Other NV")
    theirs = make_email(
        make_finalized(other, make_client(other)), transport="smtp", to=("gone@klant.example",)
    )
    inbox(server).add(dsn(message_id=theirs.message_id))  # another company's email
    inbox(server).add(dsn(message_id="not-ours@elsewhere.example", own_id="dsn.3@x"))
    inbox(server).add(b"From: friend@klant.example\r\nSubject: hello\r\n\r\nJust a letter.\r\n")
    result = imap_scan(imap_company, now=NOW)
    assert (result.read, result.recorded, result.ignored) == (3, 0, 3)
    assert not DeliveryEvent.objects.exists()
    assert Recipient.objects.get(email=theirs).failed_at is None


def test_wrong_password_and_missing_folder_are_clear_errors(server, imap_company):
    config = email_settings_for(imap_company)
    config.imap_password = "wrong"
    config.save()
    with pytest.raises(ImapScanError, match="refused the login"):
        imap_scan(imap_company, now=NOW)
    config.imap_password = "imap-secret"
    config.imap_folder = "Nope"
    config.save()
    with pytest.raises(ImapScanError, match="no folder “Nope”"):
        imap_scan(imap_company, now=NOW)


def test_an_unreachable_server_is_a_clear_error(imap_company):
    config = email_settings_for(imap_company)
    config.imap_port = 1  # nothing listens there
    config.save()
    with pytest.raises(ImapScanError, match="could not connect"):
        imap_scan(imap_company, now=NOW)


def test_update_status_for_own_smtp_runs_the_scan(server, sent, imap_company):
    assert refresh_refusal(sent, NOW) == ""
    inbox(server).add(dsn(message_id=sent.message_id))
    assert email_refresh(sent.pk, now=NOW) == 1
    gone = Recipient.objects.select_related("email").get(email=sent, address="gone@klant.example")
    assert gone.status(NOW) == Status.FAILED


def test_reports_are_read_over_tls(tmp_path, sent, imap_company):
    import ssl

    from cryptography.hazmat.primitives import serialization

    from tests.mail.crypto_helpers import rsa_key, self_signed_certificate
    from tests.mail.imapd import ImapTlsTestServer

    key = rsa_key("imap")
    certificate = self_signed_certificate(key, common_name="127.0.0.1")
    (tmp_path / "cert.pem").write_bytes(certificate)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_context = ssl.create_default_context(cadata=certificate.decode())
    client_context.check_hostname = False  # the test certificate names no IP address
    with ImapTlsTestServer(server_context) as tls_server:
        tls_server.mailbox.folders["INBOX"].add(dsn(message_id=sent.message_id))
        config = email_settings_for(imap_company)
        config.imap_port = tls_server.port
        config.imap_security = "tls"
        config.save()
        assert imap_scan(imap_company, now=NOW, context=client_context).recorded == 1
        # Without trusting the certificate, the connection is refused with a clear message.
        with pytest.raises(ImapScanError, match="could not connect"):
            imap_scan(imap_company, now=NOW, context=ssl.create_default_context())

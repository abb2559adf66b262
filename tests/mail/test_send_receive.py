"""The exact message a real SMTP server receives, and the facts recorded per recipient."""

from email.utils import parsedate_to_datetime

import pytest

from porto.documents.rendering.files import document_files
from porto.mail.delivery import email_deliver
from porto.mail.models import DeliveryAttempt, OutgoingEmail
from porto.mail.requests import NewAttachment, SendRequest, email_send
from porto.mail.status import Status
from tests.mail.conftest import small_pdf


def send(invoice, **kwargs) -> OutgoingEmail:
    values = {"to": ["Jean Dupré <compta@cafe-elysee.example>"]} | kwargs
    return email_send(SendRequest(document=invoice, **values))


def test_the_server_receives_the_exact_message(smtp_server, invoice, company):
    extra = small_pdf("conditions")
    email = send(
        invoice,
        cc=["Zoë Økonomi <zoe@partner.example>"],
        bcc=["archive@acme.example"],
        subject="Facture 2026 — « été » ✓",
        file_format="pdf+ubl",
        attachments=[NewAttachment("Conditions générales.pdf", extra)],
    )
    assert email_deliver(email.pk) == "sent"

    [received] = smtp_server.received
    message = received.message
    assert received.mail_from == "acme-bv@send.porto.example"
    assert sorted(received.rcpt_tos) == [
        "archive@acme.example",
        "compta@cafe-elysee.example",
        "zoe@partner.example",
    ]
    assert str(message["From"]) == "Acme BV <acme-bv@send.porto.example>"
    assert str(message["Reply-To"]) == "office@acme.example"
    assert str(message["To"]) == "Jean Dupré <compta@cafe-elysee.example>"
    assert str(message["Cc"]) == "Zoë Økonomi <zoe@partner.example>"
    assert message["Bcc"] is None
    assert message.get_all("MIME-Version") == ["1.0"]
    assert str(message["Subject"]) == "Facture 2026 — « été » ✓"
    assert str(message["Message-ID"]) == f"<{email.message_id}>"
    assert email.message_id.endswith("@send.porto.example")
    assert parsedate_to_datetime(str(message["Date"])) == email.created_at.replace(microsecond=0)
    # The raw header is 7-bit: encoded words for UTF-8, CRLF line ends.
    assert received.data.isascii()
    assert b"\r\n" in received.data and b"\n" not in received.data.replace(b"\r\n", b"")

    assert message.get_content_type() == "multipart/mixed"
    body, *attachments = message.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    plain, html = body.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert invoice.number in plain.get_content()

    stored = {a.filename: a for a in email.attachments.select_related("blob")}
    files = document_files(invoice, "pdf+ubl")
    names = [part.get_filename() for part in attachments]
    assert names == [files[0].filename, files[1].filename, "Conditions générales.pdf"]
    # The file names come from the document files (their language is theirs to decide).
    assert files[0].filename.endswith(f"-{invoice.number}.pdf")
    assert files[1].filename.endswith(f"-{invoice.number}.xml")
    assert [p.get_content_type() for p in attachments] == [
        "application/pdf",
        "application/xml",
        "application/pdf",
    ]
    # RFC 2231 for the non-ASCII file name.
    assert b"filename*=utf-8''Conditions%20g%C3%A9n%C3%A9rales.pdf" in received.data
    for part in attachments:
        content = part.get_payload(decode=True)
        assert content == bytes(stored[part.get_filename()].blob.content)
    assert attachments[0].get_payload(decode=True) == files[0].content
    assert attachments[1].get_payload(decode=True) == files[1].content
    assert attachments[2].get_payload(decode=True) == extra


def test_the_document_counts_as_sent_only_once_accepted(smtp_server, invoice):
    email = send(invoice)
    invoice.refresh_from_db()
    assert invoice.sent_at is None
    email_deliver(email.pk)
    invoice.refresh_from_db()
    email.refresh_from_db()
    assert invoice.sent_at is not None
    assert email.state == OutgoingEmail.State.SENT
    [recipient] = email.recipients.all()
    assert recipient.accepted_at is not None
    assert recipient.status() == Status.IN_TRANSIT
    [attempt] = email.attempts_log.all()
    assert attempt.outcome == DeliveryAttempt.Outcome.ANSWERED


def test_a_delivered_email_is_not_sent_again(smtp_server, invoice):
    email = send(invoice)
    assert email_deliver(email.pk) == "sent"
    assert email_deliver(email.pk) == "not-due"
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize("language,word", [("nl", "factuur"), ("en", "invoice")])
def test_the_default_text_speaks_the_clients_language(smtp_server, company, language, word):
    from tests.factories import make_client, make_finalized

    client = make_client(company, language=language, emails=("boekhouding@klant.example",))
    document = make_finalized(company, client)
    email = email_send(SendRequest(document=document, to=["boekhouding@klant.example"]))
    email_deliver(email.pk)
    [received] = smtp_server.received
    assert word in str(received.message["Subject"]).lower()
    assert received.message["Content-Language"] == language

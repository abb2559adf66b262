"""The whole path: smtplib → sandbox server → SandboxMessage → record_event → DeliveryEvent."""

import smtplib

from porto.mail.models import DeliveryEvent, OutgoingEmail, Recipient
from porto.mail.status import Status
from porto.sandbox.models import SandboxMessage
from tests.factories import make_client, make_document
from tests.sandbox.helpers import build_email

SENDER = "acme-bv@send.example"


def outgoing_email(company, addresses, message_id="0042.abc@send.example"):
    client = make_client(company, emails=(addresses[0],))
    email = OutgoingEmail.objects.create(
        company=company,
        document=make_document(company, client),
        transport="sandbox",
        from_name="Acme BV",
        from_address=SENDER,
        subject="Factuur 2026-00042",
        body_text="Beste klant",
        language="nl",
        file_format="pdf",
        message_id=message_id,
    )
    for position, address in enumerate(addresses):
        Recipient.objects.create(email=email, address=address, position=position)
    return email


def test_each_accepted_recipient_gets_one_delivered_event(smtp, company):
    email = outgoing_email(company, ["boekhouding@klant.example", "finance@klant.example"])
    raw = build_email(company_id=company.pk, email_id=email.pk, message_id=email.message_id_header)

    refused = smtp.sendmail(
        SENDER, ["boekhouding@klant.example", "gone@klant.invalid", "finance@klant.example"], raw
    )

    assert list(refused) == ["gone@klant.invalid"]
    stored = SandboxMessage.objects.get()
    events = DeliveryEvent.objects.order_by("recipient_address")
    assert [(e.source, e.type, e.recipient_address) for e in events] == [
        ("sandbox", "delivered", "boekhouding@klant.example"),
        ("sandbox", "delivered", "finance@klant.example"),
    ]
    assert {e.recipient.email_id for e in events} == {email.pk}
    assert all(e.at == stored.received_at for e in events)
    for recipient in email.recipients.all():
        assert recipient.delivered_at == stored.received_at
        assert recipient.status() == Status.DELIVERED


def test_the_outbox_email_decides_the_company_even_without_the_header(smtp, company):
    email = outgoing_email(company, ["boekhouding@klant.example"])

    smtp.sendmail(
        SENDER, ["boekhouding@klant.example"], build_email(message_id=email.message_id_header)
    )

    assert SandboxMessage.objects.get().company == company


def test_a_company_header_contradicting_the_outbox_email_matches_nobody(
    smtp, company, other_company
):
    email = outgoing_email(company, ["boekhouding@klant.example"])
    raw = build_email(company_id=other_company.pk, message_id=email.message_id_header)

    smtp.sendmail(SENDER, ["boekhouding@klant.example"], raw)

    assert SandboxMessage.objects.get().company is None


def test_a_message_without_message_id_is_stored_without_events(smtp):
    raw = b"From: a@send.example\r\nTo: b@klant.example\r\nSubject: hi\r\n\r\nhello\r\n"

    smtp.sendmail(SENDER, ["b@klant.example"], raw)

    assert SandboxMessage.objects.get().subject == "hi"
    assert not DeliveryEvent.objects.exists()


def test_when_recording_the_event_fails_nothing_is_stored_and_the_sender_retries(smtp, company):
    email = outgoing_email(company, ["boekhouding@klant.example"])
    raw = build_email(message_id=email.message_id_header)
    from django.db import connection

    with connection.schema_editor() as editor:
        editor.delete_model(DeliveryEvent)
    try:
        try:
            smtp.sendmail(SENDER, ["boekhouding@klant.example"], raw)
            raise AssertionError("the server accepted a message it could not report")
        except smtplib.SMTPDataError as error:
            assert error.smtp_code == 451
        assert not SandboxMessage.objects.exists()
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(DeliveryEvent)

    smtp.sendmail(SENDER, ["boekhouding@klant.example"], raw)
    assert DeliveryEvent.objects.get().recipient.email == email

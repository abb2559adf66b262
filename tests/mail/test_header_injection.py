"""Header injection from every field a person fills in, checked on the raw DATA and envelope a
real SMTP server receives: each attempt is either refused with a message (nothing queued,
nothing sent) or, for rows already stored some other way, sent as harmless literal text."""

import base64
import re
from email import message_from_bytes, policy

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from porto.emailsettings.selectors import email_settings_for
from porto.emailsettings.services import email_settings_update
from porto.emailtexts.services import email_text_for, email_text_update
from porto.mail.delivery import email_deliver
from porto.mail.models import Attachment, OutgoingEmail, Recipient
from porto.mail.reasons import reason_render
from porto.mail.requests import NewAttachment, SendRequest, email_send
from tests.factories import make_client, make_finalized
from tests.mail.conftest import small_pdf

SPY = "spy@evil.example"
BCC_LINE = f"Jan\r\nBcc: {SPY}"
TEXT_ATTACKS = {
    "literal CR LF": BCC_LINE,
    "bare LF": f"Jan\nBcc: {SPY}",
    "NUL": "Jan\x00Peeters",
    "q encoded-word carrying CR LF Bcc": f"=?utf-8?q?Jan=0D=0ABcc:_{SPY}?=",
    "b encoded-word carrying CR LF Bcc": f"=?utf-8?b?{base64.b64encode(BCC_LINE.encode()).decode()}?=",
    "q encoded-word carrying a bare LF": f"=?utf-8?q?Jan=0ABcc:_{SPY}?=",
    "encoded-word carrying NUL": "=?utf-8?q?Jan=00Peeters?=",
    "encoded-word inside the text": f"Factuur =?utf-8?q?=0D=0ABcc:_{SPY}?= maart",
    "line separator U+2028": f"Jan\u2028Bcc: {SPY}",
}
ADDRESS_ATTACKS = {
    "CR LF after the address": f"jan@example.com\r\nBcc: {SPY}",
    "bare LF after the address": f"jan@example.com\nBcc: {SPY}",
    "NUL in the address": "jan@example.com\x00",
    "encoded-word local part": "=?utf-8?q?spy=40evil.example?=@example.com",
    "x <a> <b>": f"{SPY} <x> <jan@example.com>",
    "two addresses with a comma": f"jan@example.com, {SPY}",
    "a second address after the brackets": f"Jan <jan@example.com> {SPY}",
    "a group": f"friends: jan@example.com, {SPY};",
    "encoded-word display name carrying CR LF Bcc": (
        f"=?utf-8?q?Jan=0D=0ABcc:_{SPY}?= <jan@example.com>"
    ),
}
INTENDED_HEADERS = {
    "from", "to", "cc", "reply-to", "subject", "date", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "content-language",
}  # fmt: skip
HEADER_LINE = re.compile(rb"^(?:[A-Za-z][A-Za-z0-9-]*: |[ \t])")


def controls(text: str) -> bool:
    return any(ch in text for ch in "\r\n\x00")


def assert_only_intended(received, recipients: list[str]) -> None:
    """Only the intended recipients in the envelope; only our headers, each on its own line;
    no NUL and no bare CR or LF anywhere; no header value that decodes to a line break."""
    assert sorted(received.rcpt_tos) == sorted(recipients)
    assert SPY not in received.mail_from
    data = received.data
    assert b"\x00" not in data
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b"")
    head = data.split(b"\r\n\r\n", 1)[0]
    assert all(HEADER_LINE.match(line) for line in head.split(b"\r\n")), head
    message = message_from_bytes(data, policy=policy.default)
    assert {name.lower() for name in message} <= INTENDED_HEADERS
    assert message["Bcc"] is None
    for name, value in message.items():
        assert not controls(str(value)), (name, str(value))
    for header in ("To", "Cc"):
        for address in getattr(message[header], "addresses", ()):
            assert address.addr_spec in recipients


def send(invoice, **kwargs) -> OutgoingEmail:
    values = {"to": ["compta@cafe-elysee.example"]} | kwargs
    return email_send(SendRequest(document=invoice, **values))


def refused(invoice, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        send(invoice, **kwargs)
    assert not OutgoingEmail.objects.exists()
    return caught.value.messages


# Refused where they are typed


@pytest.mark.parametrize("attack", TEXT_ATTACKS.values(), ids=TEXT_ATTACKS.keys())
def test_settings_sender_name_attack_is_refused_and_not_stored(company, attack):
    settings = email_settings_for(company)
    with pytest.raises(ValidationError) as caught:
        email_settings_update(settings, {"sender_name": attack})
    assert "sender_name" in caught.value.message_dict
    assert email_settings_for(company).sender_name == ""


@pytest.mark.parametrize("attack", ADDRESS_ATTACKS.values(), ids=ADDRESS_ATTACKS.keys())
def test_settings_reply_to_attack_is_refused_and_not_stored(company, attack):
    settings = email_settings_for(company)
    with pytest.raises(ValidationError) as caught:
        email_settings_update(settings, {"reply_to": attack})
    assert "reply_to" in caught.value.message_dict
    assert email_settings_for(company).reply_to == ""


@pytest.mark.parametrize("attack", TEXT_ATTACKS.values(), ids=TEXT_ATTACKS.keys())
def test_popup_subject_attack_is_refused_before_anything_is_queued(smtp_server, invoice, attack):
    [message] = refused(invoice, subject=attack)
    assert message.startswith("The subject contains")
    assert smtp_server.received == []


@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
@pytest.mark.parametrize("attack", TEXT_ATTACKS.values(), ids=TEXT_ATTACKS.keys())
def test_popup_display_name_attack_is_refused(smtp_server, invoice, field, attack):
    entry = f"{attack} <jan@example.com>"
    values = {field: [entry]} if field == "to" else {field: [entry], "to": ["a@b.example"]}
    assert refused(invoice, **values)
    assert smtp_server.received == []


@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
@pytest.mark.parametrize("attack", ADDRESS_ATTACKS.values(), ids=ADDRESS_ATTACKS.keys())
def test_popup_address_attack_is_refused(smtp_server, invoice, field, attack):
    values = {field: [attack]} if field == "to" else {field: [attack], "to": ["a@b.example"]}
    assert refused(invoice, **values)
    assert smtp_server.received == []


@pytest.mark.parametrize("attack", TEXT_ATTACKS.values(), ids=TEXT_ATTACKS.keys())
def test_attachment_filename_attack_is_refused(smtp_server, invoice, attack):
    [message] = refused(invoice, attachments=[NewAttachment(f"{attack}.pdf", small_pdf())])
    assert message.startswith("The file name ")
    assert message.endswith("rename the file and attach it again.")
    assert smtp_server.received == []


@pytest.mark.parametrize("attack", TEXT_ATTACKS.values(), ids=TEXT_ATTACKS.keys())
def test_email_text_subject_attack_is_refused(company, attack):
    text = email_text_for(company, "invoice", "fr")
    with pytest.raises(ValidationError) as caught:
        email_text_update(text, name=text.name, subject=f"Facture {attack}", body=text.body)
    assert "subject" in caught.value.message_dict


@pytest.mark.parametrize(
    "attack",
    [
        TEXT_ATTACKS["q encoded-word carrying CR LF Bcc"],
        TEXT_ATTACKS["b encoded-word carrying CR LF Bcc"],
    ],
)
def test_a_client_name_placed_in_the_subject_by_a_text_is_checked_after_rendering(
    smtp_server, company, attack
):
    text = email_text_for(company, "invoice", "fr")
    email_text_update(text, name=text.name, subject="Facture {client_name}", body=text.body)
    client = make_client(company, language="fr", name=attack, emails=("jan@example.com",))
    invoice = make_finalized(company, client)
    with pytest.raises(ValidationError) as caught:
        email_send(SendRequest(document=invoice, to=["jan@example.com"]))
    assert caught.value.messages[0].startswith("The subject contains an encoded word")
    assert smtp_server.received == []


@pytest.mark.parametrize("attack", list(TEXT_ATTACKS.values())[:5], ids=list(TEXT_ATTACKS)[:5])
def test_a_stored_sender_name_attack_stops_every_send_with_a_message(
    smtp_server, company, invoice, attack
):
    """A row written before these checks existed cannot reach the headers either."""
    storable(attack)
    type(email_settings_for(company)).objects.filter(company=company).update(sender_name=attack)
    [message] = refused(invoice)
    assert message.startswith("The sender name contains")
    assert smtp_server.received == []


def test_the_popup_form_refuses_an_encoded_word_subject_next_to_the_field(owner_client, invoice):
    response = owner_client.post(
        reverse("document_send", args=[invoice.pk]),
        {
            "to": ["compta@cafe-elysee.example"],
            "subject": TEXT_ATTACKS["q encoded-word carrying CR LF Bcc"],
            "body": "Bonjour",
            "file_format": "pdf",
            "idempotency_key": "k" * 32,
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "subject" in response.json()["errors"]
    assert not OutgoingEmail.objects.exists()


def test_the_popup_form_refuses_x_a_b_in_to(owner_client, invoice):
    response = owner_client.post(
        reverse("document_send", args=[invoice.pk]),
        {
            "to": [ADDRESS_ATTACKS["x <a> <b>"]],
            "subject": "Facture",
            "body": "Bonjour",
            "file_format": "pdf",
            "idempotency_key": "k" * 32,
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "to" in response.json()["errors"]
    assert not OutgoingEmail.objects.exists()


# Rows stored some other way: the composer writes them as harmless literal text


def storable(attack: str) -> None:
    """PostgreSQL text cannot hold NUL at all: no stored row can carry that attack there."""
    if "\x00" in attack and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses NUL in text columns")


def tamper(email: OutgoingEmail, attack: str) -> None:
    storable(attack)
    OutgoingEmail.objects.filter(pk=email.pk).update(from_name=attack, subject=f"Facture {attack}")
    Recipient.objects.filter(email=email).update(name=attack)
    Attachment.objects.filter(email=email).update(filename=f"{attack}.pdf")


@pytest.mark.parametrize("attack", TEXT_ATTACKS.values(), ids=TEXT_ATTACKS.keys())
def test_a_stored_attack_in_every_text_field_reaches_data_only_as_literal_text(
    smtp_server, invoice, attack
):
    email = send(invoice, to=["Jan <jan@example.com>"], cc=["Piet <piet@example.com>"])
    tamper(email, attack)
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert_only_intended(received, ["jan@example.com", "piet@example.com"])


@pytest.mark.parametrize(
    "attack",
    [f"jan@example.com\r\nBcc: {SPY}", f"jan@example.com, {SPY}", f"{SPY} <jan@example.com>"],
)
def test_a_stored_recipient_address_that_could_split_a_header_fails_the_email_unsent(
    smtp_server, invoice, attack
):
    email = send(invoice, to=["jan@example.com"])
    Recipient.objects.filter(email=email).update(address=attack)
    assert email_deliver(email.pk) == "failed"
    assert smtp_server.received == []
    [recipient] = email.recipients.all()
    assert "cannot be used as an email address" in reason_render(recipient.failure_reason)


@pytest.mark.parametrize("attack", [f"office@acme.example\r\nBcc: {SPY}", f"a@b.example, {SPY}"])
def test_a_stored_reply_to_that_could_split_a_header_fails_the_email_unsent(
    smtp_server, invoice, attack
):
    email = send(invoice)
    OutgoingEmail.objects.filter(pk=email.pk).update(reply_to=attack)
    assert email_deliver(email.pk) == "failed"
    assert smtp_server.received == []


# What people really type still goes out, as they typed it


def test_an_encoded_word_typed_in_the_subject_is_read_as_the_literal_text(smtp_server, invoice):
    email = send(invoice, subject="Code =?utf-8?q?Caf=C3=A9?= voor u")
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert_only_intended(received, ["compta@cafe-elysee.example"])
    assert str(received.message["Subject"]) == "Code =?utf-8?q?Caf=C3=A9?= voor u"


def test_quotes_and_commas_in_display_names_are_kept_with_one_address_each(smtp_server, invoice):
    email = send(
        invoice,
        to=['"Janssens, Jan" <jan@example.com>'],
        cc=[r'"Piet \"de Baas\" Peeters" <piet@example.com>'],
    )
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert_only_intended(received, ["jan@example.com", "piet@example.com"])
    [to] = received.message["To"].addresses
    [cc] = received.message["Cc"].addresses
    assert (to.display_name, to.addr_spec) == ("Janssens, Jan", "jan@example.com")
    assert (cc.display_name, cc.addr_spec) == ('Piet "de Baas" Peeters', "piet@example.com")


def test_a_sender_name_with_a_comma_and_accents_goes_out_as_one_mailbox(
    smtp_server, company, invoice
):
    email_settings_update(email_settings_for(company), {"sender_name": "Acme, Bäckerei & Zoë"})
    email = send(invoice)
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert_only_intended(received, ["compta@cafe-elysee.example"])
    [sender] = received.message["From"].addresses
    assert sender.display_name == "Acme, Bäckerei & Zoë"


def test_the_popup_keeps_a_comma_inside_a_quoted_display_name(owner_client, invoice):
    response = owner_client.post(
        reverse("document_send", args=[invoice.pk]),
        {
            "to": ['"Janssens, Jan" <jan@example.com>, piet@example.com'],
            "subject": "Facture",
            "body": "Bonjour",
            "file_format": "pdf",
            "idempotency_key": "k" * 32,
        },
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200, response.content
    email = OutgoingEmail.objects.get()
    assert [(r.name, r.address) for r in email.recipients.order_by("position")] == [
        ("Janssens, Jan", "jan@example.com"),
        ("", "piet@example.com"),
    ]

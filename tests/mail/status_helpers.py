"""The write paths that move an email's stored status, for tests: the outbox's hand-off
(``delivery.claim`` + ``delivery.begin_hand_off``) and ``events.record_event``. Never set the
status columns (or the facts) by hand: the point is that these paths keep them true."""

import datetime as dt
import secrets
import uuid

from porto.mail.delivery import begin_hand_off, claim
from porto.mail.events import record_event
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.status import Event, EventType
from porto.mail.status_store import document_status_store


def email_queued(
    document,
    *,
    transport: str = "sandbox",
    kinds: list[str] | tuple[str, ...] = ("to",),
    track_opens: bool = False,
    created_at: dt.datetime,
) -> OutgoingEmail:
    """A queued email of ``document`` to r0@klant.example, r1@… (one per kind), as the send
    service leaves it in the outbox (the email's status columns keep their defaults; the
    document now points at it, as ``email_send`` makes it)."""
    email = OutgoingEmail.objects.create(
        company=document.company,
        document=document,
        transport=transport,
        from_name=document.company.name,
        from_address="acme@send.porto.example",
        subject=f"Invoice {document.number}",
        body_text="Dear client, find the invoice attached.",
        language="nl",
        file_format="pdf",
        track_opens=track_opens,
        message_id=f"{uuid.uuid4().hex}@send.porto.example",
        created_at=created_at,
        next_attempt_at=created_at,
    )
    for position, kind in enumerate(kinds):
        Recipient.objects.create(
            email=email, kind=kind, position=position, address=f"r{position}@klant.example"
        )
    document_status_store([document.pk])
    return email


def hand_off(email: OutgoingEmail, at: dt.datetime, through: str = "") -> OutgoingEmail:
    """Claim the queued email and record its hand-off at ``at``, through ``through`` (by
    default the email's own transport), as a worker does before the network call."""
    token = secrets.token_hex(16)
    claimed = claim(email.pk, token, at)
    assert claimed is not None, "the email was waiting in the outbox"
    way = through or email.transport
    begin_hand_off(claimed, token, at, {"sent_through": way, "sent_account": ""})
    claimed.refresh_from_db()
    return claimed


def record(
    email: OutgoingEmail,
    address: str,
    type: EventType,
    at: dt.datetime,
    **fields,
) -> None:
    """One event about ``address`` of ``email``, from the way it was sent."""
    stored = record_event(
        source=email.sent_through or email.transport,
        event=Event(type=type, at=at, **fields),
        message_id=email.message_id,
        recipient=address,
        provider_event_id=secrets.token_hex(8),
        provider=email.sent_through or email.transport,
    )
    assert stored is not None and stored.recipient_id is not None, "the event matched"

"""Loads of the open pixel, recorded as opened events (in a worker, never in the request).

One rule for one load (``pixel_open_of``), whether it is recorded alone (``pixel_open_record``)
or with a batch of stored loads (``porto.mail.feedback.pixel_loads``)."""

import datetime
import hashlib
from dataclasses import dataclass, field

from django.utils.crypto import constant_time_compare

from porto.mail.events import record_event
from porto.mail.feedback.pixel import classify_open
from porto.mail.models import DeliveryEvent, Recipient
from porto.mail.status import Event, EventType

SOURCE = "pixel"


@dataclass(frozen=True)
class PixelOpen:
    """One load as the event to record (``porto.mail.events.Observation``)."""

    event: Event
    message_id: str
    recipient: str
    provider_event_id: str
    payload: dict = field(default_factory=dict)
    source: str = SOURCE


def pixel_open_of(
    recipient: Recipient | None,
    key: str,
    *,
    user_agent: str,
    remote_ip: str,
    at: datetime.datetime,
) -> PixelOpen | None:
    """The open one load of ``recipient``'s pixel records, human or automatic.

    None for an unknown recipient or a key that is not the recipient's (a token signed with a
    leaked SECRET_KEY, or from before the key was rotated). The open is recorded as classified
    even when the email was sent with open tracking off: it stays a fact, and
    ``porto.mail.status.as_counted`` keeps it from making Read. ``recipient`` comes with its
    email (``select_related``)."""
    if recipient is None or not constant_time_compare(key, recipient.pixel_key):
        return None
    kind = classify_open(user_agent, remote_ip, seconds_since_delivery(recipient, at))
    fingerprint = hashlib.sha256(f"{at.isoformat()}|{user_agent}|{remote_ip}".encode()).hexdigest()
    return PixelOpen(
        event=Event(EventType.OPENED, at=at, machine=kind.machine, reason=kind.reason),
        message_id=recipient.email.message_id,
        recipient=recipient.address,
        provider_event_id=f"{recipient.pk}:{fingerprint[:32]}",
        payload={"user_agent": user_agent[:500], "ip": remote_ip},
    )


def pixel_open_record(
    recipient_id: int, key: str, *, user_agent: str, remote_ip: str, at: datetime.datetime
) -> DeliveryEvent | None:
    """Record one load of a recipient's pixel (``pixel_open_of``); None when nothing new."""
    recipient = Recipient.objects.select_related("email").filter(pk=recipient_id).first()
    opened = pixel_open_of(recipient, key, user_agent=user_agent, remote_ip=remote_ip, at=at)
    if opened is None:
        return None
    return record_event(
        source=opened.source,
        event=opened.event,
        message_id=opened.message_id,
        recipient=opened.recipient,
        provider_event_id=opened.provider_event_id,
        payload=opened.payload,
    )


def seconds_since_delivery(recipient: Recipient, at: datetime.datetime) -> float | None:
    """Seconds from delivery (else acceptance, else hand-off) to the load; None if unknown."""
    since = recipient.delivered_at or recipient.accepted_at or recipient.email.handed_off_at
    return (at - since).total_seconds() if since else None

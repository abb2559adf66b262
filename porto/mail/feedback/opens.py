"""Loads of the open pixel, recorded as opened events (in a worker, never in the request)."""

import datetime
import hashlib

from django.utils.crypto import constant_time_compare

from porto.mail.events import record_event
from porto.mail.feedback.pixel import classify_open
from porto.mail.models import DeliveryEvent, Recipient
from porto.mail.status import Event, EventType


def pixel_open_record(
    recipient_id: int, key: str, *, user_agent: str, remote_ip: str, at: datetime.datetime
) -> DeliveryEvent | None:
    """Record one load of a recipient's pixel as a human or automatic open.

    Nothing is recorded for an unknown recipient or a key that is not the recipient's (a
    token signed with a leaked SECRET_KEY, or from before the key was rotated). The open is
    recorded as classified even when the email was sent with open tracking off: it stays a
    fact, and ``porto.mail.status.as_counted`` keeps it from making Read."""
    recipient = Recipient.objects.select_related("email").filter(pk=recipient_id).first()
    if recipient is None or not constant_time_compare(key, recipient.pixel_key):
        return None
    kind = classify_open(user_agent, remote_ip, seconds_since_delivery(recipient, at))
    fingerprint = hashlib.sha256(f"{at.isoformat()}|{user_agent}|{remote_ip}".encode()).hexdigest()
    return record_event(
        source="pixel",
        event=Event(EventType.OPENED, at=at, machine=kind.machine, reason=kind.reason),
        message_id=recipient.email.message_id,
        recipient=recipient.address,
        provider_event_id=f"{recipient.pk}:{fingerprint[:32]}",
        payload={"user_agent": user_agent[:500], "ip": remote_ip},
    )


def seconds_since_delivery(recipient: Recipient, at: datetime.datetime) -> float | None:
    """Seconds from delivery (else acceptance, else hand-off) to the load; None if unknown."""
    since = recipient.delivered_at or recipient.accepted_at or recipient.email.handed_off_at
    return (at - since).total_seconds() if since else None

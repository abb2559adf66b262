"""The sandbox tells Porto what happened, through the same event path as a real provider."""

from porto.mail.events import record_event
from porto.mail.status import Event, EventType
from porto.sandbox.models import SandboxMessage


def report_delivered(message: SandboxMessage) -> None:
    """One ``delivered`` event per accepted recipient of a stored message.

    Refusals are not reported here: the sender learnt them from the SMTP reply."""
    if not message.message_id:
        return  # nothing would ever match it to a recipient
    for address in message.envelope_recipients:
        record_event(
            source="sandbox",
            event=Event(EventType.DELIVERED, at=message.received_at),
            message_id=message.message_id,
            recipient=address,
            provider_event_id=f"delivered:{message.pk}:{address.lower()}",
        )

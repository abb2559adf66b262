"""Record what a status client observed, through the one event path."""

from collections.abc import Iterable

from porto.mail.events import record_event
from porto.mail.providers.base.status import Observation


def observations_record(source: str, observations: Iterable[Observation]) -> int:
    """Record every observation under ``source`` ("postmark-api"); how many were new."""
    new = 0
    for item in observations:
        stored = record_event(
            source=source,
            event=item.event,
            message_id=item.message_id,
            recipient=item.recipient,
            provider_event_id=item.provider_event_id,
            payload=item.payload,
        )
        new += stored is not None
    return new

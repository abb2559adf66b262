"""record_event: stored once, linked to its recipient, merged into the facts."""

import datetime

import pytest
from django.utils import timezone

from porto.mail.events import events_link_unlinked, record_event
from porto.mail.models import DeliveryEvent, Recipient
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Event, EventType, Status


@pytest.fixture
def email(invoice):
    return email_send(SendRequest(document=invoice, to=["Jean <compta@cafe-elysee.example>"]))


def at(minutes: int) -> datetime.datetime:
    return timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=minutes)


def test_an_event_is_stored_once_and_merged(email):
    event = Event(type=EventType.DELIVERED, at=at(1))
    first = record_event(
        source="sandbox",
        event=event,
        message_id=f"<{email.message_id}>",
        recipient="Compta@Cafe-Elysee.example",
        payload={"x": 1},
    )
    again = record_event(
        source="sandbox",
        event=event,
        message_id=email.message_id,
        recipient="compta@cafe-elysee.example",
        payload={"x": 1},
    )
    assert first is not None and again is None
    assert DeliveryEvent.objects.count() == 1
    recipient = Recipient.objects.get(email=email)
    assert first.recipient == recipient
    assert recipient.delivered_at == at(1)
    assert recipient.status(at(2)) == Status.DELIVERED


def test_the_provider_event_id_is_the_dedupe_key(email):
    for minute in (1, 2):
        record_event(
            source="postmark",
            event=Event(type=EventType.OPENED, at=at(minute)),
            message_id=email.message_id,
            recipient="compta@cafe-elysee.example",
            provider_event_id="evt-1",
        )
    assert DeliveryEvent.objects.count() == 1


def test_events_merge_whatever_their_order(email):
    events = [
        Event(type=EventType.OPENED, at=at(5)),
        Event(type=EventType.DELIVERED, at=at(3)),
        Event(type=EventType.QUEUED, at=at(1)),
    ]
    for event in events:
        record_event(
            source="brevo",
            event=event,
            message_id=email.message_id,
            recipient="compta@cafe-elysee.example",
        )
    recipient = Recipient.objects.get(email=email)
    assert (recipient.accepted_at, recipient.delivered_at, recipient.human_open_at) == (
        at(1),
        at(3),
        at(5),
    )
    assert recipient.status(at(6)) == Status.READ


def test_an_early_event_is_kept_and_linked_once_the_provider_id_is_known(email):
    stored = record_event(
        source="postmark",
        event=Event(type=EventType.BOUNCED, at=at(2), reason="Mailbox unknown", code="550"),
        message_id="pm-123",
        recipient="compta@cafe-elysee.example",
    )
    assert stored is not None and stored.recipient is None
    Recipient.objects.filter(email=email).update(provider_message_id="pm-123")
    assert events_link_unlinked(list(Recipient.objects.select_related("email"))) == 1
    recipient = Recipient.objects.get(email=email)
    assert recipient.failure_reason == "Mailbox unknown"
    assert recipient.status(at(3)) == Status.FAILED


def test_an_event_for_an_unknown_message_is_kept_unlinked(db):
    stored = record_event(
        source="mailgun",
        event=Event(type=EventType.DELIVERED, at=at(0)),
        message_id="nobody-knows",
        recipient="x@y.example",
    )
    assert stored is not None and stored.recipient is None

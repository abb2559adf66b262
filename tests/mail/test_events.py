"""record_event: stored once, linked to its recipient, merged into the facts."""

import datetime

import pytest
from django.utils import timezone

from porto.mail.events import events_link_unlinked, record_event
from porto.mail.models import DeliveryEvent, OutgoingEmail, Recipient
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Event, EventType, Status


@pytest.fixture
def email(invoice):
    return email_send(SendRequest(document=invoice, to=["Jean <compta@cafe-elysee.example>"]))


def through(email: OutgoingEmail, provider: str) -> OutgoingEmail:
    """``email`` as if handed off through ``provider``."""
    OutgoingEmail.objects.filter(pk=email.pk).update(transport="provider", sent_through=provider)
    email.refresh_from_db()
    return email


START = timezone.now().replace(microsecond=0)  # one clock for the whole module: no flakes


def at(minutes: int) -> datetime.datetime:
    return START + datetime.timedelta(minutes=minutes)


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
    through(email, "postmark")
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
    through(email, "brevo")
    OutgoingEmail.objects.filter(pk=email.pk).update(track_opens=True)  # an open can count
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
    through(email, "postmark")
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
    assert reason_render(recipient.failure_reason) == "Mailbox unknown"
    assert recipient.status(at(3)) == Status.FAILED


def test_an_event_for_an_unknown_message_is_kept_unlinked(db):
    stored = record_event(
        source="mailgun",
        event=Event(type=EventType.DELIVERED, at=at(0)),
        message_id="nobody-knows",
        recipient="x@y.example",
    )
    assert stored is not None and stored.recipient is None


def bounce(source: str, message_id: str, **kwargs) -> DeliveryEvent | None:
    return record_event(
        source=source,
        event=Event(type=EventType.BOUNCED, at=at(2), reason="Mailbox unknown", code="550"),
        message_id=message_id,
        recipient="compta@cafe-elysee.example",
        **kwargs,
    )


def test_a_bounce_from_another_provider_is_refused_logged_and_changes_nothing(email, caplog):
    through(email, "postmark")
    Recipient.objects.filter(email=email).update(provider_message_id="shared-id")
    assert bounce("brevo", "shared-id") is None
    assert bounce("brevo", f"<{email.message_id}>") is None
    assert DeliveryEvent.objects.count() == 0
    assert Recipient.objects.get(email=email).failed_at is None
    assert "not sent through brevo" in caplog.text


def test_a_provider_bounce_naming_an_own_smtp_email_is_refused(email, caplog):
    OutgoingEmail.objects.filter(pk=email.pk).update(transport="smtp", sent_through="smtp")
    assert bounce("postmark", email.message_id) is None
    assert bounce("postmark-api", email.message_id) is None
    assert DeliveryEvent.objects.count() == 0
    assert Recipient.objects.get(email=email).failed_at is None
    assert "not sent through postmark" in caplog.text


def test_a_provider_bounce_naming_a_sandbox_email_is_refused(email):
    OutgoingEmail.objects.filter(pk=email.pk).update(sent_through="sandbox")
    assert bounce("mailgun", email.message_id) is None
    assert Recipient.objects.get(email=email).failed_at is None


def test_the_explicit_provider_wins_over_the_source(email):
    through(email, "postmark")
    assert bounce("some-relay", email.message_id, provider="sendgrid") is None
    assert bounce("some-relay", email.message_id, provider="postmark") is not None


def test_an_early_event_of_another_provider_is_never_linked(email):
    through(email, "postmark")
    stored = bounce("brevo", "pm-123")
    assert stored is not None and stored.recipient is None
    Recipient.objects.filter(email=email).update(provider_message_id="pm-123")
    assert events_link_unlinked(list(Recipient.objects.select_related("email"))) == 0
    assert Recipient.objects.get(email=email).failed_at is None


def test_a_bracketed_brevo_id_matches_the_stored_one(email):
    through(email, "brevo")
    Recipient.objects.filter(email=email).update(
        provider_message_id="202612011000.12345678901@smtp-relay.mailin.fr"
    )
    stored = bounce("brevo", " <202612011000.12345678901@smtp-relay.mailin.fr> ")
    assert stored is not None and stored.recipient is not None
    assert stored.message_id == "202612011000.12345678901@smtp-relay.mailin.fr"


def test_an_email_handed_off_before_the_way_was_recorded_takes_any_providers_events(email):
    OutgoingEmail.objects.filter(pk=email.pk).update(transport="provider", sent_through="")
    assert bounce("sparkpost", email.message_id).recipient is not None


def test_the_pixel_speaks_for_every_way(email):
    through(email, "resend")
    stored = record_event(
        source="pixel",
        event=Event(type=EventType.OPENED, at=at(3)),
        message_id=email.message_id,
        recipient="compta@cafe-elysee.example",
    )
    assert stored is not None and stored.recipient is not None

"""Events become messages in the transaction that records them: one per subscribed enabled
endpoint, once per recipient and event type whatever the order or repetition of the events."""

import datetime
import itertools
import json
import sys

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from porto.documents.services import document_finalize
from porto.hooks import tasks as hook_tasks
from porto.hooks.models import WebhookMessage
from porto.hooks.services import endpoint_create, endpoint_enable
from porto.mail.events import record_event
from porto.mail.models import OutgoingEmail
from porto.mail.reasons import MAILBOX_MISSING, reason_stored
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Event, EventType
from tests.factories import make_document
from tests.tasks import enqueued_tasks, enqueued_tasks_forget

START = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=1)
ADDRESS = "compta@cafe-elysee.example"


@pytest.fixture(autouse=True)
def start_now(monkeypatch):
    """Each test's events happen just after it starts, after its endpoints exist (a time
    fixed at import would lie before them in a long run)."""
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=1)
    monkeypatch.setattr(sys.modules[__name__], "START", start)


def at(minutes: int) -> datetime.datetime:
    return START + datetime.timedelta(minutes=minutes)


def new_email(invoice) -> OutgoingEmail:
    email = email_send(SendRequest(document=invoice, to=[ADDRESS]))
    OutgoingEmail.objects.filter(pk=email.pk).update(track_opens=True)  # an open is a read
    return email


def record(email: OutgoingEmail, event: Event, payload: dict | None = None) -> None:
    record_event(
        source="sandbox",
        event=event,
        message_id=email.message_id,
        recipient=ADDRESS,
        payload=payload or {"event": event.type.value, "at": event.at.isoformat()},
    )


def emitted(event_type: str | None = None) -> list[WebhookMessage]:
    messages = WebhookMessage.objects.exclude(event_type="document.finalized")
    if event_type:
        messages = messages.filter(event_type=event_type)
    return list(messages.order_by("pk"))


def test_a_delivery_becomes_a_message_for_each_subscribed_enabled_endpoint(
    receiver, company, endpoint, invoice
):
    reads_only = endpoint_create(
        company, url=receiver.url, description="", event_types=["email.read"]
    )
    disabled = endpoint_create(
        company, url=receiver.url, description="", event_types=["email.delivered"]
    )
    endpoint_enable(disabled, False)
    email = new_email(invoice)
    record(email, Event(type=EventType.DELIVERED, at=at(1)))
    [message] = emitted("email.delivered")
    assert message.endpoint == endpoint
    assert not WebhookMessage.objects.filter(endpoint__in=[reads_only, disabled]).exists()


def test_the_email_payload_names_company_document_email_recipient_and_status(endpoint, invoice):
    email = new_email(invoice)
    record(email, Event(type=EventType.DELIVERED, at=at(1)))
    [message] = emitted("email.delivered")
    recipient = email.recipients.get()
    body = json.loads(message.body)
    assert body["type"] == "email.delivered"
    assert body["data"] == {
        "company_id": invoice.company_id,
        "document_id": invoice.pk,
        "email_id": email.pk,
        "recipient_id": recipient.pk,
        "recipient_kind": "to",
        "status": "delivered",
        "reason": None,
        "occurred_at": at(1).isoformat(),
    }


def test_the_same_fact_recorded_twice_emits_once(endpoint, invoice):
    email = new_email(invoice)
    record(email, Event(type=EventType.DELIVERED, at=at(2)))
    record(email, Event(type=EventType.DELIVERED, at=at(1)), payload={"another": "report"})
    assert len(emitted("email.delivered")) == 1


def test_any_order_of_the_events_emits_the_same_messages(endpoint, invoice):
    events = [
        Event(type=EventType.SENT, at=at(1)),
        Event(type=EventType.DEFERRED, at=at(2), reason=reason_stored(MAILBOX_MISSING)),
        Event(type=EventType.DELIVERED, at=at(3)),
        Event(type=EventType.OPENED, at=at(4)),
    ]
    seen = set()
    for order in itertools.permutations(events):
        email = new_email(invoice)
        for event in order:
            record(email, event)
        kinds = WebhookMessage.objects.filter(
            dedupe_key__endswith=f":recipient:{email.recipients.get().pk}"
        )
        seen.add(tuple(sorted(kinds.values_list("event_type", flat=True))))
    assert seen == {("email.deferred", "email.delivered", "email.read", "email.sent")}


def test_a_failure_carries_its_reason_code_and_text_in_the_companys_language(endpoint, invoice):
    email = new_email(invoice)
    failure = reason_stored(MAILBOX_MISSING, server="550 5.1.1 no such user")
    record(email, Event(type=EventType.BOUNCED, at=at(1), reason=failure, code="550"))
    [message] = emitted("email.failed")
    data = json.loads(message.body)["data"]
    assert data["status"] == "failed"
    assert data["reason"] == {
        "code": "mailbox_missing",
        "text": "De server van de ontvanger meldt dat de mailbox niet bestaat "
        "(550 5.1.1 no such user)",
    }


def test_a_rolled_back_event_leaves_no_message(endpoint, invoice):
    email = new_email(invoice)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(email, Event(type=EventType.DELIVERED, at=at(1)))
        raise RuntimeError("the writer's transaction fails after the event")
    assert emitted("email.delivered") == []


def test_an_endpoint_hears_only_of_what_happened_after_it_was_made(receiver, company, client_fr):
    invoice = make_document(company, client_fr, lines=[("1", "10", "S", "21")])
    endpoint_create(company, url=receiver.url, description="", event_types=["email.delivered"])
    invoice = document_finalize(invoice)
    email = new_email(invoice)
    record(email, Event(type=EventType.DELIVERED, at=at(-60 * 24)))  # reported a day late
    assert emitted() == []


def test_a_finalized_document_is_one_message_woken_on_commit(
    endpoint, company, client_fr, django_capture_on_commit_callbacks
):
    draft = make_document(company, client_fr, lines=[("1", "10", "S", "21")])
    enqueued_tasks_forget()
    with django_capture_on_commit_callbacks(execute=True):
        document_finalize(draft)
    [message] = WebhookMessage.objects.filter(event_type="document.finalized")
    assert message.dedupe_key == f"document.finalized:{draft.pk}"
    [woken] = enqueued_tasks("porto.hooks.tasks.deliver_webhook")
    assert woken.args == [message.pk]


def test_a_refused_finalization_emits_nothing(endpoint, company, client_fr):
    empty = make_document(company, client_fr, lines=[])
    with pytest.raises(ValidationError):
        document_finalize(empty)
    assert not WebhookMessage.objects.filter(event_type="document.finalized").exists()


def test_a_fault_in_the_webhooks_never_loses_the_status(endpoint, invoice, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("a bug in the webhooks")

    monkeypatch.setattr(hook_tasks, "messages_emit_for_email", broken)
    email = new_email(invoice)
    record(email, Event(type=EventType.DELIVERED, at=at(1)))
    email.refresh_from_db()
    assert email.shown_status == "delivered"
    assert emitted() == []
    assert "Could not write the webhook messages of email" in caplog.text

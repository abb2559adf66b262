"""Delivery to a real local server: 2xx delivers, anything else is retried with backoff for
about a day and then given up, every attempt logged; the sweeper finds what is due; a hanging
endpoint never holds up sending. The clock is moved, never waited for."""

import datetime
import itertools
import threading

import pytest
from django.core.management import call_command
from django.utils import timezone

from porto.hooks.models import WebhookAttempt, WebhookMessage
from porto.hooks.services import (
    JITTER,
    RETRY_DELAYS,
    SWEEP_GRACE,
    endpoint_enable,
    message_deliver,
    messages_due,
    retry_delay,
)
from porto.hooks.tasks import deliver_webhook
from porto.lib.deferred import whole_second_after
from porto.mail.requests import SendRequest, email_send
from porto.mail.tasks import deliver_emails
from porto.sandbox.models import SandboxMessage
from tests.tasks import enqueued_tasks, enqueued_tasks_forget

DELIVER_TASK = "porto.hooks.tasks.deliver_webhook"


def the_message() -> WebhookMessage:
    return WebhookMessage.objects.get(event_type="document.finalized")


def test_a_2xx_answer_delivers_the_message_and_logs_the_attempt(receiver, invoice):
    message = the_message()
    outcome = message_deliver(message.pk, now=message.created_at)
    message.refresh_from_db()
    assert (outcome.state, message.state, message.attempts) == ("delivered", "delivered", 1)
    [attempt] = WebhookAttempt.objects.filter(message=message)
    assert (attempt.status_code, attempt.error, attempt.next_retry_at) == (204, "", None)
    assert attempt.attempted_at == message.created_at


def test_an_error_status_is_retried_after_five_seconds_with_jitter(receiver, invoice):
    receiver.answers = [500]
    message = the_message()
    outcome = message_deliver(message.pk, now=message.created_at)
    message.refresh_from_db()
    [attempt] = message.log.all()
    assert (outcome.state, message.state) == ("retry", "pending")
    assert (attempt.status_code, attempt.error) == (500, "http_status")
    waited = (message.next_attempt_at - message.created_at).total_seconds()
    assert 5 * (1 - JITTER) <= waited <= 5 * (1 + JITTER)
    assert attempt.next_retry_at == message.next_attempt_at


def test_a_message_is_not_tried_again_before_its_retry_is_due(receiver, invoice):
    receiver.answers = [500]
    message = the_message()
    message_deliver(message.pk, now=message.created_at)
    message.refresh_from_db()
    early = message.next_attempt_at - datetime.timedelta(seconds=1)
    assert message_deliver(message.pk, now=early).state == "skipped"
    assert messages_due(early) == []
    assert messages_due(message.next_attempt_at) == [message.pk]
    assert len(receiver.received) == 1


def test_the_backoff_runs_for_about_a_day_then_gives_up(receiver, invoice):
    receiver.answers = [503]
    message = the_message()
    now = message.created_at
    outcomes = []
    for _ in range(len(RETRY_DELAYS) + 1):
        outcomes.append(message_deliver(message.pk, now=now).state)
        message.refresh_from_db()
        now = message.next_attempt_at or now
    assert outcomes == ["retry"] * len(RETRY_DELAYS) + ["failed"]
    assert (message.state, message.attempts, message.next_attempt_at) == ("failed", 11, None)
    attempts = list(message.log.order_by("attempted_at"))
    waits = [
        (later.attempted_at - earlier.attempted_at).total_seconds()
        for earlier, later in itertools.pairwise(attempts)
    ]
    for waited, planned in zip(waits, RETRY_DELAYS, strict=True):
        assert planned * (1 - JITTER) <= waited <= planned * (1 + JITTER)
    span = attempts[-1].attempted_at - attempts[0].attempted_at
    assert datetime.timedelta(hours=20) < span < datetime.timedelta(hours=27)
    assert attempts[-1].next_retry_at is None
    assert len(receiver.received) == 11
    assert message_deliver(message.pk, now=now + datetime.timedelta(days=1)).state == "skipped"


def test_the_jitter_spreads_a_delay_both_ways():
    assert retry_delay(3, rand=lambda: 0.0) == datetime.timedelta(seconds=108)
    assert retry_delay(3, rand=lambda: 1.0) == datetime.timedelta(seconds=132)


def test_a_refused_connection_is_logged_and_retried(receiver, invoice, endpoint):
    endpoint.url = "http://127.0.0.1:9/closed"  # the discard port: nothing listens here
    endpoint.save()
    message = the_message()
    outcome = message_deliver(message.pk, now=message.created_at)
    [attempt] = message.log.all()
    assert outcome.state == "retry"
    assert (attempt.status_code, attempt.error) == (None, "connection")
    assert "refused" in attempt.detail.lower()


def test_a_timeout_is_logged_and_retried(receiver, invoice, settings):
    settings.PORTO_WEBHOOKS_TIMEOUT = 0.2
    receiver.hang = threading.Event()
    message = the_message()
    outcome = message_deliver(message.pk, now=message.created_at)
    [attempt] = message.log.all()
    assert outcome.state == "retry"
    assert (attempt.status_code, attempt.error) == (None, "timeout")


def test_a_disabled_endpoint_gets_nothing_and_its_message_waits(receiver, invoice, endpoint):
    endpoint_enable(endpoint, False)
    message = the_message()
    assert message_deliver(message.pk, now=message.created_at).state == "skipped"
    assert receiver.received == []
    assert messages_due(message.created_at) == []
    endpoint_enable(endpoint, True)
    assert messages_due(message.created_at) == [message.pk]


def test_the_mail_sweeper_wakes_a_message_whose_retry_is_due(receiver, invoice):
    receiver.answers = [500]
    message = the_message()
    message_deliver(message.pk, now=message.created_at)
    message.refresh_from_db()
    enqueued_tasks_forget()
    WebhookMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - SWEEP_GRACE - datetime.timedelta(seconds=5)
    )
    call_command("mail_sweeper", "--once", verbosity=0)
    [woken] = enqueued_tasks(DELIVER_TASK)
    assert woken.args == [message.pk]


def test_the_sweeper_leaves_a_message_just_due_to_its_own_task(receiver, invoice):
    message = the_message()
    enqueued_tasks_forget()
    WebhookMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - SWEEP_GRACE + datetime.timedelta(seconds=30)
    )
    call_command("mail_sweeper", "--once", verbosity=0)
    assert enqueued_tasks(DELIVER_TASK) == []


def test_the_task_delivers_and_plans_its_retry(receiver, invoice):
    receiver.answers = [500]
    message = the_message()
    enqueued_tasks_forget()
    assert deliver_webhook.call(message.pk) == "retry"
    message.refresh_from_db()
    [planned] = enqueued_tasks(DELIVER_TASK)
    assert planned.task.run_after == whole_second_after(message.next_attempt_at)


@pytest.mark.django_db(transaction=True)
def test_a_hanging_endpoint_does_not_hold_up_the_emails_delivery(receiver, sandbox, invoice):
    """The endpoint would hang for as long as the test runs (far more than 30 s): the email's
    delivery task finishes without ever calling it, and its event waits in the outbox."""
    receiver.hang = threading.Event()
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert deliver_emails.call([email.pk]) == {str(email.pk): "sent"}
    assert receiver.received == []
    sent = WebhookMessage.objects.get(event_type="email.sent")
    assert (sent.state, sent.attempts) == ("pending", 0)
    assert SandboxMessage.objects.count() == 1

"""Poison input never stops anything: a stored webhook whose projection raises is marked failed
(with the reason, and processed so it is not retried forever); the task, the sweeper and the
worker go on, and the next normal send is delivered."""

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import connection

from porto.mail.delivery import email_deliver
from porto.mail.feedback.webhooks import webhook_process, webhooks_sweep
from porto.mail.models import InboundWebhook, OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, email_send
from porto.mail.tasks import deliver_emails, process_webhook, wake_on_commit
from tests.tasks import run_queued_tasks

from .tracking_helpers import payload

ON_POSTGRES = connection.vendor == "postgresql"


def postmark_bounce(message_id: str) -> bytes:
    """Postmark's documented hard-bounce body, as json.dumps writes it (\\ud800 escaped)."""
    body = json.loads(payload("postmark", "bounce_hard"))
    body["MessageID"] = message_id
    return json.dumps(body).encode()


def stored_webhook(body: bytes, *, minutes_ago: float = 0) -> InboundWebhook:
    """A request as the webhook view stores it after authentication."""
    return InboundWebhook.objects.create(
        provider="postmark",
        headers={"Content-Type": "application/json"},
        body=body,
        received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago),
    )


POISON = [pytest.param("\ud800", id="lone-surrogate")]
if ON_POSTGRES:  # SQLite stores these as they are
    POISON += [
        pytest.param("abc\x00def", id="nul"),
        pytest.param("m" * 300, id="300-char-message-id"),
    ]


def assert_marked_failed(webhook: InboundWebhook) -> None:
    webhook.refresh_from_db()
    assert webhook.processed_at is not None  # not projected again and again
    assert webhook.error  # the reason, for whoever looks
    assert webhook.events_recorded == 0


@pytest.mark.parametrize("message_id", POISON)
def test_a_poison_webhook_then_a_normal_send_the_send_is_delivered_and_the_row_marked_failed(
    message_id, smtp_server, invoice, django_capture_on_commit_callbacks
):
    poison = stored_webhook(postmark_bounce(message_id))
    with django_capture_on_commit_callbacks(execute=True):
        process_webhook.enqueue(poison.pk)
        email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
        wake_on_commit([email.pk])  # as every caller of email_send does
    run_queued_tasks()  # raises if any task raises
    assert_marked_failed(poison)
    email.refresh_from_db()
    assert email.state == OutgoingEmail.State.SENT
    [received] = smtp_server.received
    assert received.rcpt_tos == ["compta@cafe-elysee.example"]


@pytest.mark.parametrize("message_id", POISON)
def test_the_projection_of_a_poison_webhook_returns_instead_of_raising(message_id, db):
    poison = stored_webhook(postmark_bounce(message_id))
    assert webhook_process(poison.pk) == 0
    assert_marked_failed(poison)


def test_the_sweeper_marks_a_poison_webhook_failed_and_projects_the_next_one(db):
    poison = stored_webhook(postmark_bounce("\ud800"), minutes_ago=5)
    good = stored_webhook(payload("postmark", "bounce_hard"), minutes_ago=5)
    assert webhooks_sweep() == 2
    assert_marked_failed(poison)
    good.refresh_from_db()
    assert good.processed_at is not None and good.error == ""
    assert webhooks_sweep() == 0  # the poison row is done with


def test_the_mail_sweeper_command_survives_a_poison_webhook(db):
    poison = stored_webhook(postmark_bounce("\ud800"), minutes_ago=5)
    call_command("mail_sweeper", "--once", verbosity=0)
    assert_marked_failed(poison)


def test_the_mail_sweeper_command_survives_a_step_that_fails(db, monkeypatch, caplog):
    from porto.mail.management.commands import mail_sweeper

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(mail_sweeper, "outbox_sweep", broken)
    poison = stored_webhook(postmark_bounce("\ud800"), minutes_ago=5)
    call_command("mail_sweeper", "--once", verbosity=0)
    assert "periodic job 'outbox' failed" in caplog.text
    assert_marked_failed(poison)  # the other steps still ran


def test_the_worker_delivers_the_rest_of_a_batch_when_one_email_raises(
    smtp_server, invoice, monkeypatch
):
    from porto.mail import delivery

    first = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    second = email_send(SendRequest(document=invoice, to=["boss@cafe-elysee.example"]))
    real_claim = delivery.emails_claim

    def claim_breaking_the_first(email_ids, token, now):
        if first.pk in email_ids:  # the first email's own claim
            raise RuntimeError("poison row")
        return real_claim(email_ids, token, now)

    def batch_claim_breaking(count, token, now):
        raise RuntimeError("poison row")  # the task's batch claim (it would take the first)

    monkeypatch.setattr(delivery, "emails_claim_next", batch_claim_breaking)
    monkeypatch.setattr(delivery, "emails_claim", claim_breaking_the_first)
    outcomes = deliver_emails.call([first.pk, second.pk])
    assert outcomes == {str(first.pk): "error", str(second.pk): "sent"}
    first.refresh_from_db()
    assert "RuntimeError: poison row" in reason_render(first.last_error)
    [received] = smtp_server.received
    assert received.rcpt_tos == ["boss@cafe-elysee.example"]
    monkeypatch.setattr(delivery, "emails_claim", real_claim)
    assert email_deliver(first.pk) == "sent"  # nothing half-done was left behind

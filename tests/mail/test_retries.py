"""Temporary failures retry with exponential backoff until the server recovers; permanent
ones fail at once with a reason a person can act on; each recipient gets its own outcome."""

import datetime
from dataclasses import replace

import pytest
from django.conf import settings
from django.utils import timezone

from porto.emailsettings.selectors import email_settings_for
from porto.lib.deferred import whole_second_after
from porto.mail.delivery import claim, email_deliver, retry_delay
from porto.mail.models import DeliveryAttempt, OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from porto.mail.tasks import deliver_emails, outbox_sweep
from porto.mail.transports.sandbox import SandboxTransport
from tests.mail.smtpd import Rules, SmtpTestServer
from tests.tasks import enqueued_tasks

State = OutgoingEmail.State


def queue(invoice, to=("compta@cafe-elysee.example",)) -> OutgoingEmail:
    return email_send(SendRequest(document=invoice, to=list(to)))


def later(email: OutgoingEmail) -> datetime.datetime:
    email.refresh_from_db()
    return email.next_attempt_at + datetime.timedelta(seconds=1)


def test_a_451_is_retried_with_growing_delays_until_the_server_accepts(smtp_server, invoice):
    smtp_server.rules.defer_times["compta@cafe-elysee.example"] = 3
    email = queue(invoice)
    start = timezone.now()
    delays = []
    now = start
    for _ in range(3):
        assert email_deliver(email.pk, now=now) == "retry"
        email.refresh_from_db()
        assert email.state == State.QUEUED
        assert "try again later" in reason_render(email.last_error)
        delays.append(email.next_attempt_at - now)
        assert email_deliver(email.pk, now=now) == "not-due"  # not before its time
        now = later(email)
    assert delays == [retry_delay(1), retry_delay(2), retry_delay(3)]
    assert delays[0] < delays[1] < delays[2]
    assert email_deliver(email.pk, now=now) == "sent"
    assert len(smtp_server.received) == 1
    [recipient] = email.recipients.all()
    assert recipient.last_deferred_at is not None and recipient.accepted_at is not None
    assert recipient.status(now) == Status.IN_TRANSIT


def test_a_connection_lost_after_the_whole_message_is_sent_is_retried_once_as_may_have_arrived(
    smtp_server, invoice
):
    smtp_server.rules.drop_on_data = 1  # the server closes at the final ".", keeping nothing
    email = queue(invoice)
    assert email_deliver(email.pk) == "retry"
    email.refresh_from_db()
    assert "may have arrived" in reason_render(email.last_error)
    assert smtp_server.received == []
    assert email_deliver(email.pk, now=later(email)) == "sent"
    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_is_retried(settings, invoice):
    settings.PORTO_SANDBOX_SMTP_PORT = 1  # nothing listens there
    email = queue(invoice)
    assert email_deliver(email.pk) == "retry"
    email.refresh_from_db()
    assert "Nothing answers at 127.0.0.1:1" in reason_render(email.last_error)
    server = SmtpTestServer(Rules())
    server.start()
    try:
        settings.PORTO_SANDBOX_SMTP_PORT = server.port_number
        assert email_deliver(email.pk, now=later(email)) == "sent"
        assert len(server.received) == 1
    finally:
        server.stop()


def test_retries_stop_after_the_configured_time_with_the_last_reason(
    settings, smtp_server, invoice
):
    settings.PORTO_MAIL_RETRY_FOR = 3600
    smtp_server.rules.defer_times["compta@cafe-elysee.example"] = 1000
    email = queue(invoice)
    now = timezone.now()
    outcomes = []
    while (outcome := email_deliver(email.pk, now=now)) == "retry":
        outcomes.append(outcome)
        now = later(email)
    assert outcome == "failed"
    assert 3 <= len(outcomes) < 10
    email.refresh_from_db()
    assert email.state == State.FAILED
    [recipient] = email.recipients.all()
    assert reason_render(recipient.failure_reason).startswith(
        f"Gave up after {email.attempts} attempts:"
    )
    assert "asked to try again later (451 4.3.0 Try again later)" in reason_render(
        recipient.failure_reason
    )
    assert recipient.status(now) == Status.FAILED
    invoice.refresh_from_db()
    assert invoice.sent_at is None


def test_a_550_fails_at_once_with_a_readable_reason(smtp_server, invoice):
    smtp_server.rules.refuse["compta@cafe-elysee.example"] = "550 5.1.1 No such user"
    email = queue(invoice)
    assert email_deliver(email.pk) == "failed"
    email.refresh_from_db()
    [recipient] = email.recipients.all()
    assert reason_render(recipient.failure_reason) == (
        "The recipient's server says the mailbox does not exist (550 5.1.1 No such user)"
    )
    assert recipient.failure_code == "550"
    assert email.state == State.FAILED
    assert email.attempts == 1
    invoice.refresh_from_db()
    assert invoice.sent_at is None


def test_a_5xx_at_data_fails_every_recipient_at_once(smtp_server, invoice):
    smtp_server.rules.data_reply.append("554 5.7.1 Message rejected as spam")
    email = queue(invoice)
    assert email_deliver(email.pk) == "failed"
    [recipient] = email.recipients.all()
    assert "refused the message itself (554 5.7.1 Message rejected as spam)" in (
        reason_render(recipient.failure_reason)
    )


def test_one_of_three_recipients_refused_gives_per_recipient_outcomes(smtp_server, invoice):
    smtp_server.rules.refuse["nobody@klant.invalid"] = "550 5.1.1 Unknown user"
    email = email_send(
        SendRequest(
            document=invoice,
            to=["compta@cafe-elysee.example", "nobody@klant.invalid"],
            cc=["boss@cafe-elysee.example"],
        )
    )
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert sorted(received.rcpt_tos) == ["boss@cafe-elysee.example", "compta@cafe-elysee.example"]
    statuses = {
        r.address: (r.accepted_at is not None, r.failure_code) for r in email.recipients.all()
    }
    assert statuses == {
        "compta@cafe-elysee.example": (True, ""),
        "nobody@klant.invalid": (False, "550"),
        "boss@cafe-elysee.example": (True, ""),
    }
    email.refresh_from_db()
    assert "For nobody@klant.invalid: The recipient's server says the mailbox does not exist" in (
        reason_render(email.last_error)
    )
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_a_deferred_recipient_is_retried_alone(smtp_server, invoice):
    smtp_server.rules.defer_times["later@cafe-elysee.example"] = 1
    email = email_send(
        SendRequest(
            document=invoice, to=["compta@cafe-elysee.example", "later@cafe-elysee.example"]
        )
    )
    assert email_deliver(email.pk) == "retry"
    assert email_deliver(email.pk, now=later(email)) == "sent"
    first, second = smtp_server.received
    assert first.rcpt_tos == ["compta@cafe-elysee.example"]
    assert second.rcpt_tos == ["later@cafe-elysee.example"]
    assert first.data == second.data  # the same message, the same Message-ID


def test_a_refused_login_fails_nothing_the_email_waits_and_goes_once_the_password_is_saved(
    company, invoice
):
    server = SmtpTestServer(Rules(credentials=("acme", "right-password")))
    server.start()
    try:
        email_settings = email_settings_for(company)
        email_settings.method = "smtp"
        email_settings.smtp_host = "127.0.0.1"
        email_settings.smtp_port = server.port_number
        email_settings.smtp_security = "none"
        email_settings.smtp_username = "acme"
        email_settings.smtp_password = "wrong-password"
        email_settings.smtp_from_address = "facturen@acme.example"
        email_settings.save()
        email = queue(invoice)
        assert email.transport == "smtp"
        assert email_deliver(email.pk) == "waiting"  # the login says nothing about the client
        email.refresh_from_db()
        assert (email.state, email.held) == (State.QUEUED, OutgoingEmail.Held.PAUSED)
        [recipient] = email.recipients.all()
        assert recipient.failed_at is None
        [attempt] = email.attempts_log.all()
        assert attempt.detail == (
            "Sending through your SMTP server failed: "
            "Your SMTP server refused the login (535): check the username and password."
        )
        assert server.received == []

        email_settings.smtp_password = "right-password"
        email_settings.save()  # the breaker closes: the email is due at once
        assert email_deliver(email.pk) == "sent"
        [received] = server.received
        assert received.mail_from == "facturen@acme.example"
        assert str(received.message["From"]) == "Acme BV <facturen@acme.example>"
    finally:
        server.stop()


def test_only_one_worker_can_hold_an_email(smtp_server, invoice):
    email = queue(invoice)
    now = timezone.now()
    assert claim(email.pk, "worker-a", now) is not None
    assert claim(email.pk, "worker-b", now) is None
    assert email_deliver(email.pk, now=now) == "not-due"


def test_the_sweeper_hands_a_crashed_workers_email_to_another(
    settings, smtp_server, invoice, django_capture_on_commit_callbacks
):
    settings.PORTO_MAIL_LEASE = 60
    email = queue(invoice)
    now = timezone.now()
    claimed = claim(email.pk, "crashed-worker", now)
    assert claimed is not None
    DeliveryAttempt.objects.create(
        email=email, number=1, lease_token="crashed-worker", started_at=now
    )  # it was handing off when it died
    assert outbox_sweep(now + datetime.timedelta(seconds=30)) == 0  # lease still running
    after = now + datetime.timedelta(seconds=61)
    assert outbox_sweep(after) == 1
    assert outbox_sweep(after) == 0  # woken once, not at every sweep
    assert email_deliver(email.pk, now=after) == "sent"
    outcomes = list(email.attempts_log.values_list("outcome", flat=True))
    assert outcomes == [DeliveryAttempt.Outcome.INTERRUPTED, DeliveryAttempt.Outcome.ANSWERED]
    assert len(smtp_server.received) == 1


def test_a_retry_is_scheduled_as_a_deferred_task(
    smtp_server, invoice, django_capture_on_commit_callbacks
):
    smtp_server.rules.defer_times["compta@cafe-elysee.example"] = 1
    email = queue(invoice)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_emails.call([email.pk]) == {str(email.pk): "retry"}
    email.refresh_from_db()
    [task] = enqueued_tasks()
    assert task.task.run_after == whole_second_after(email.next_attempt_at)
    assert task.args == [[email.pk]]
    # Planned: the sweeper leaves it alone unless the planned wake-up gets lost.
    assert outbox_sweep(email.next_attempt_at) == 0
    lost = email.next_attempt_at + datetime.timedelta(
        seconds=settings.PORTO_MAIL_WAKE_AGAIN_AFTER + 1
    )
    assert outbox_sweep(lost) == 1


def test_without_deferred_tasks_the_sweeper_wakes_due_retries(settings, smtp_server, invoice):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    smtp_server.rules.defer_times["compta@cafe-elysee.example"] = 1
    email = queue(invoice)
    assert email_deliver(email.pk) == "retry"
    email.refresh_from_db()
    assert outbox_sweep(email.next_attempt_at - datetime.timedelta(seconds=1)) == 0
    assert outbox_sweep(email.next_attempt_at) == 1


@pytest.mark.parametrize("code", ["421 4.7.0 Too busy", "452 4.2.2 Mailbox full for now"])
def test_temporary_rcpt_refusals_are_deferrals(smtp_server, invoice, code):
    smtp_server.rules.refuse["compta@cafe-elysee.example"] = code
    email = queue(invoice)
    assert email_deliver(email.pk) == "retry"
    [recipient] = email.recipients.all()
    assert recipient.failed_at is None and recipient.last_deferred_at is not None


class DiesAfterTheAnswer(SandboxTransport):
    """The worker process dies right after the server's 250 was written down."""

    def send(self, outbound):
        super().send(outbound)
        raise KeyboardInterrupt


class DiesDuringTheHandOff(SandboxTransport):
    """The worker dies after the server's 250, before anything was written down."""

    def send(self, outbound):
        super().send(replace(outbound, on_answer=lambda results: None))
        raise KeyboardInterrupt


def test_an_answer_written_before_a_crash_is_recorded_not_sent_again(
    settings, smtp_server, invoice
):
    settings.PORTO_MAIL_LEASE = 60
    email = queue(invoice)
    with pytest.raises(KeyboardInterrupt):
        email_deliver(email.pk, transport=DiesAfterTheAnswer())
    email.refresh_from_db()
    assert email.state == State.SENDING
    after = timezone.now() + datetime.timedelta(seconds=61)
    assert email_deliver(email.pk, now=after) == "sent"
    assert len(smtp_server.received) == 1
    [attempt] = email.attempts_log.all()
    assert attempt.outcome == DeliveryAttempt.Outcome.RECOVERED
    assert attempt.detail == "compta@cafe-elysee.example: accepted"


def test_a_crash_inside_the_window_sends_once_more_with_the_same_message_id(
    settings, smtp_server, invoice
):
    settings.PORTO_MAIL_LEASE = 60
    email = queue(invoice)
    with pytest.raises(KeyboardInterrupt):
        email_deliver(email.pk, transport=DiesDuringTheHandOff())
    after = timezone.now() + datetime.timedelta(seconds=61)
    assert email_deliver(email.pk, now=after) == "sent"
    first, second = smtp_server.received
    assert first.data == second.data
    outcomes = list(email.attempts_log.values_list("outcome", flat=True))
    assert outcomes == [DeliveryAttempt.Outcome.INTERRUPTED, DeliveryAttempt.Outcome.ANSWERED]


def test_a_batch_reuses_one_connection(smtp_server, invoice):
    ids = [queue(invoice).pk for _ in range(3)]
    assert deliver_emails.call(ids) == {str(i): "sent" for i in ids}
    assert len(smtp_server.received) == 3
    assert smtp_server.handler_obj.sessions == 1


def test_a_reused_connection_that_was_closed_is_opened_again(settings, invoice):
    from porto.mail.transports import Transports

    first_server = SmtpTestServer(Rules())
    first_server.start()
    settings.PORTO_SANDBOX_SMTP_PORT = first_server.port_number
    first, second = queue(invoice), queue(invoice)
    with Transports() as transports:
        assert email_deliver(first.pk, transports=transports) == "sent"
        first_server.stop()  # the server goes away and comes back between two emails
        second_server = SmtpTestServer(Rules(), port=first_server.port_number)
        second_server.start()
        try:
            assert email_deliver(second.pk, transports=transports) == "sent"
        finally:
            second_server.stop()
    assert len(first_server.received) == len(second_server.received) == 1


def test_an_email_that_cannot_be_built_fails_instead_of_looping(smtp_server, invoice):
    email = queue(invoice)
    # A name is neutralised when composed; an address that could split a header cannot be.
    email.recipients.update(address="jan@example.com\r\nBcc: x@evil.example")
    assert email_deliver(email.pk) == "failed"
    [recipient] = email.recipients.all()
    assert reason_render(recipient.failure_reason).startswith("The email could not be built:")
    assert smtp_server.received == []


def test_the_sweeper_command_wakes_a_crashed_workers_email(settings, invoice):
    from django.core.management import call_command

    settings.PORTO_MAIL_LEASE = 60
    email = queue(invoice)
    now = timezone.now()
    an_hour_ago = now - datetime.timedelta(hours=1)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        woken_at=an_hour_ago, next_attempt_at=an_hour_ago
    )
    # claimed ten minutes ago by a worker that died: its lease ran out nine minutes ago
    assert claim(email.pk, "crashed-worker", now - datetime.timedelta(minutes=10)) is not None
    call_command("mail_sweeper", "--once", verbosity=0)
    [task] = enqueued_tasks()
    assert task.args == [[email.pk]]

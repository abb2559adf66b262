"""Operating the outbox (porto.mail.operations): Retry now against a real SMTP server, the
cleanup of task results a killed worker left RUNNING, and a killed worker's emails explained
on the bulk page, then recovered by the lease and the sweeper."""

import datetime
import secrets
from collections import Counter

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from porto.mail import periodic
from porto.mail.delivery import email_deliver, emails_claim, emails_deliver, outbox_due
from porto.mail.management.commands import mail_sweeper  # registers the mail's periodic jobs
from porto.mail.models import OutgoingEmail
from porto.mail.operations import (
    WorkerStopped,
    emails_retry_now,
    task_results_clean,
)
from porto.mail.requests import SendRequest, bulk_send, email_send
from porto.mail.tasks import deliver_emails, outbox_sweep
from porto.web.selectors import bulk_outbox
from tests.factories import make_finalized
from tests.mail.conftest import prestore_pdf

State = OutgoingEmail.State
SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)


def reloaded(email: OutgoingEmail) -> OutgoingEmail:
    return OutgoingEmail.objects.get(pk=email.pk)


# Retry now


@pytest.fixture
def ten_minutes_between_tries(settings):
    settings.PORTO_MAIL_RETRY_FIRST_DELAY = 600


@pytest.mark.usefixtures("ten_minutes_between_tries")
def test_retry_now_sends_only_to_the_address_still_waiting_never_again_to_the_accepted_one(
    smtp_server, invoice
):
    smtp_server.rules.defer_times["later@cafe-elysee.example"] = 1
    email = email_send(
        SendRequest(
            document=invoice, to=["compta@cafe-elysee.example", "later@cafe-elysee.example"]
        )
    )
    assert email_deliver(email.pk) == "retry"
    waiting = reloaded(email)
    assert waiting.next_attempt_at > timezone.now() + 5 * MINUTE  # the retry is 10 minutes away
    now = timezone.now() + MINUTE + SECOND  # past the cooldown of the first attempt
    assert emails_retry_now(OutgoingEmail.objects.filter(pk=email.pk), now) == [email.pk]
    assert reloaded(email).next_attempt_at == now
    assert email_deliver(email.pk, now=now) == "sent"
    received = Counter(a for message in smtp_server.received for a in message.rcpt_tos)
    assert received == {"compta@cafe-elysee.example": 1, "later@cafe-elysee.example": 1}
    assert [m.rcpt_tos for m in smtp_server.received] == [
        ["compta@cafe-elysee.example"],
        ["later@cafe-elysee.example"],
    ]


@pytest.mark.usefixtures("ten_minutes_between_tries")
def test_retry_now_leaves_an_email_tried_less_than_a_minute_ago_alone(smtp_server, invoice):
    smtp_server.rules.defer_times["compta@cafe-elysee.example"] = 5
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    start = timezone.now()
    assert email_deliver(email.pk, now=start) == "retry"
    emails = OutgoingEmail.objects.filter(pk=email.pk)
    assert emails_retry_now(emails, start + 30 * SECOND) == []  # just tried: nothing
    first_retry = start + MINUTE + SECOND
    assert emails_retry_now(emails, first_retry) == [email.pk]
    assert emails_retry_now(emails, first_retry) == []  # due already: a second click, nothing
    assert email_deliver(email.pk, now=first_retry) == "retry"  # the server still defers
    assert emails_retry_now(emails, first_retry + 10 * SECOND) == []
    assert emails_retry_now(emails, first_retry + MINUTE + SECOND) == [email.pk]
    assert len(smtp_server.received) == 0


@pytest.mark.parametrize("held", [OutgoingEmail.Held.RATE, OutgoingEmail.Held.PAUSED])
def test_retry_now_never_touches_an_email_held_at_the_gate(invoice, held):
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    later = timezone.now() + datetime.timedelta(hours=1)
    OutgoingEmail.objects.filter(pk=email.pk).update(held=held, next_attempt_at=later)
    assert emails_retry_now(OutgoingEmail.objects.all(), timezone.now()) == []
    assert reloaded(email).next_attempt_at == later


# Task results a killed worker left RUNNING


def task_result(status: str, *, started: datetime.datetime, finished=None, email_ids=(10**9,)):
    """A delivery task's result in the database backend, as a worker leaves it."""
    result = deliver_emails.enqueue(list(email_ids))
    DBTaskResult.objects.filter(pk=result.id).update(
        status=status, started_at=started, finished_at=finished
    )
    return DBTaskResult.objects.get(pk=result.id)


@pytest.fixture
def production_lease(settings):
    """The default lease: 750 s (a 600 s wait for the final reply, 7 commands of 20 s, 10 s)."""
    settings.PORTO_MAIL_SMTP_TIMEOUT = 20
    settings.PORTO_MAIL_SMTP_DATA_TIMEOUT = 600
    settings.PORTO_MAIL_LEASE = 300
    settings.PORTO_MAIL_SWEEP_INTERVAL = 15


@pytest.mark.usefixtures("production_lease")
def test_the_cleanup_marks_tasks_running_longer_than_a_lease_failed_and_prunes_old_results(
    settings, db
):
    settings.PORTO_TASK_RESULTS_KEEP_DAYS = 7
    now = timezone.now()
    stopped = task_result(TaskResultStatus.RUNNING, started=now - datetime.timedelta(seconds=760))
    running = task_result(TaskResultStatus.RUNNING, started=now - datetime.timedelta(seconds=700))
    old = task_result(
        TaskResultStatus.SUCCESSFUL,
        started=now - datetime.timedelta(days=8),
        finished=now - datetime.timedelta(days=8),
    )
    kept = task_result(
        TaskResultStatus.FAILED,
        started=now - datetime.timedelta(days=6),
        finished=now - datetime.timedelta(days=6),
    )
    cleaned = task_results_clean(now)
    assert (cleaned.stopped, cleaned.pruned) == (1, 1)
    stopped.refresh_from_db()
    assert stopped.status == TaskResultStatus.FAILED
    assert stopped.finished_at == now
    assert stopped.exception_class_path == "porto.mail.operations.WorkerStopped"
    assert "worker running this task stopped (killed or crashed)" in stopped.traceback
    [error] = stopped.task_result.errors
    assert error.exception_class_path.endswith(WorkerStopped.__name__)
    running.refresh_from_db()
    assert running.status == TaskResultStatus.RUNNING
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()
    assert DBTaskResult.objects.filter(pk=kept.pk).exists()
    assert not task_results_clean(now)  # nothing left to do: a second run changes nothing


@pytest.mark.usefixtures("production_lease")
def test_a_delivery_task_whose_emails_are_still_under_a_running_lease_is_left_alone(invoice):
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    now = timezone.now()
    [claimed] = emails_claim([email.pk], secrets.token_hex(16), now)
    long_ago = now - datetime.timedelta(seconds=800)
    alive = task_result(TaskResultStatus.RUNNING, started=long_ago, email_ids=[email.pk])
    assert task_results_clean(now).stopped == 0
    alive.refresh_from_db()
    assert alive.status == TaskResultStatus.RUNNING
    after_the_lease = claimed.lease_until + SECOND
    assert task_results_clean(after_the_lease).stopped == 1


def test_the_cleanup_is_a_registered_periodic_job():
    assert mail_sweeper.TASK_RESULTS_EVERY == 60
    assert "task results" in {job.name for job in periodic.jobs()}


# A killed worker, from the bulk page's point of view


@pytest.mark.usefixtures("production_lease")
def test_a_killed_worker_s_task_is_cleaned_its_emails_explained_then_woken_by_the_sweeper(
    smtp_server, company, client_fr
):
    documents = [make_finalized(company, client_fr) for _ in range(3)]
    for document in documents:
        prestore_pdf(document)
    job = bulk_send(company, [d.pk for d in documents])
    ids = list(job.emails.values_list("pk", flat=True))
    started = timezone.now()
    # A worker takes the task and claims the batch, then is killed (SIGKILL: nothing more).
    task = task_result(TaskResultStatus.RUNNING, started=started, email_ids=ids)
    [lease_until] = {e.lease_until for e in emails_claim(ids, secrets.token_hex(16), started)}

    # Two minutes of silence: the page says a worker stopped, and by when they go again.
    silent = started + 2 * MINUTE
    [line] = bulk_outbox(job, silent).lines
    assert (line.key, line.count) == ("stalled", 3)
    promised = timezone.localtime(lease_until + 15 * SECOND + MINUTE).strftime("%H:%M")
    assert line.detail == f"A worker stopped while sending these; they go out again by {promised}."
    assert task_results_clean(silent).stopped == 0  # not yet longer than a lease
    assert outbox_due(silent) == []

    # The first sweep after the lease ran out (at most one sweep period later) wakes them.
    sweep = lease_until + SECOND
    assert sweep + 15 * SECOND < lease_until + 15 * SECOND + MINUTE  # within the promise
    assert task_results_clean(sweep).stopped == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    ready_before = DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()
    assert outbox_sweep(sweep) == 3
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == ready_before + 1
    assert emails_deliver(ids, now=sweep) == dict.fromkeys(ids, "sent")
    assert bulk_outbox(job, sweep).total == 0
    assert len({m.message_id for m in smtp_server.received}) == len(smtp_server.received) == 3

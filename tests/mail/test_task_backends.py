"""Which task backend a pass really ran on: a wake-up is a job in Redis on the RQ pass
(``make test-rq``) and a task row on the database passes, and the tests' worker helper
(``tests.tasks.run_queued_tasks``) runs it through that backend."""

import datetime

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus

from porto.hooks.tasks import wake_later
from porto.mail.models import OutgoingEmail
from porto.mail.requests import SendRequest, email_send
from porto.mail.tasks import deliver_emails, record_pixel_open, wake, wake_on_commit
from tests.tasks import enqueued_tasks, on_rq, run_queued_tasks

TO = "compta@cafe-elysee.example"
ON_RQ = pytest.mark.task_backend("rq", reason="proves that the RQ pass queues in Redis")
ON_DB = pytest.mark.task_backend("db", reason="proves that the other passes queue in the database")


def send_and_wake(invoice, capture) -> OutgoingEmail:
    with capture(execute=True), transaction.atomic():
        email = email_send(SendRequest(document=invoice, to=[TO]))
        wake_on_commit([email.pk])
    return email


def redis_of_the_pass() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


@ON_RQ
def test_on_the_rq_pass_a_wake_up_is_an_rq_job_in_redis_that_the_helper_runs(
    invoice, smtp_server, django_capture_on_commit_callbacks
):
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    email = send_and_wake(invoice, django_capture_on_commit_callbacks)
    [task] = enqueued_tasks()
    store = redis_of_the_pass()
    assert store.lrange("rq:queue:default", 0, -1) == [task.id.encode()]
    assert store.hget(f"rq:job:{task.id}", "status") == b"queued"

    assert run_queued_tasks() == 1

    assert store.llen("rq:queue:default") == 0
    assert store.hget(f"rq:job:{task.id}", "status") == b"finished"
    email.refresh_from_db()
    assert email.state == OutgoingEmail.State.SENT
    assert [message.rcpt_tos for message in smtp_server.received] == [[TO]]


@ON_RQ
def test_on_the_rq_pass_a_deferred_task_waits_in_rqs_schedule_until_it_is_due(db):
    later = deliver_emails.using(run_after=timezone.now() + datetime.timedelta(hours=1))
    waiting = later.enqueue([])
    store = redis_of_the_pass()
    scheduled = store.zrange("rq:scheduled:default", 0, -1, withscores=True)
    assert scheduled == [(waiting.id.encode(), float(int(later.run_after.timestamp())))]
    assert run_queued_tasks() == 0

    due = deliver_emails.using(run_after=timezone.now() - datetime.timedelta(seconds=1))
    ran = due.enqueue([])
    assert run_queued_tasks() == 1
    assert store.hget(f"rq:job:{ran.id}", "status") == b"finished"
    assert store.zrange("rq:scheduled:default", 0, -1) == [waiting.id.encode()]


@ON_RQ
def test_on_the_rq_pass_a_retry_is_never_scheduled_before_its_moment(db):
    """RQ keeps whole seconds: a wake-up at 10:00:00.7 stored as 10:00:00 would run before the
    claim accepts the row, and the retry would wait for the sweeper."""
    when = timezone.now().replace(microsecond=700_000) + datetime.timedelta(hours=1)
    wake_later(1, when)
    [(_, score)] = redis_of_the_pass().zrange("rq:scheduled:default", 0, -1, withscores=True)
    assert score >= when.timestamp()
    assert score - when.timestamp() < 1


@ON_RQ
def test_on_the_rq_pass_a_task_that_raises_fails_the_helper_with_its_traceback(db):
    record_pixel_open.enqueue(0, "key", "Mozilla/5.0", "192.0.2.1", "not a moment")
    with pytest.raises(AssertionError, match=r"failed on RQ:\n(.|\n)*'not a moment'"):
        run_queued_tasks()


@ON_DB
def test_on_the_database_passes_a_wake_up_is_a_task_row_that_the_helper_runs(
    invoice, smtp_server, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    email = send_and_wake(invoice, django_capture_on_commit_callbacks)
    [row] = DBTaskResult.objects.all()
    assert row.status == TaskResultStatus.READY

    assert run_queued_tasks() == 1

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    email.refresh_from_db()
    assert email.state == OutgoingEmail.State.SENT
    assert [message.rcpt_tos for message in smtp_server.received] == [[TO]]


class EnqueueSpy:
    """The task backend's enqueue, each call's transaction noted; ``fail_at``: the enqueue
    (counted from 1) that raises, once."""

    def __init__(self, monkeypatch, fail_at: int = 0) -> None:
        self.transactions: list[object] = []
        self.fail_at = fail_at
        backend = deliver_emails.get_backend()
        self.enqueue = backend.enqueue
        monkeypatch.setattr(backend, "enqueue", self.spy)

    def spy(self, task, args, kwargs):
        blocks = transaction.get_connection().atomic_blocks
        self.transactions.append(blocks[0] if blocks else None)
        if len(self.transactions) == self.fail_at:
            raise ConnectionError("the queue went away")
        return self.enqueue(task, args, kwargs)


def chunks_enqueued() -> list[list[int]]:
    return [task.args[0] for task in enqueued_tasks("porto.mail.tasks.deliver_emails")]


@pytest.mark.django_db(transaction=True)
def test_a_bulk_wake_up_enqueues_all_its_tasks_in_one_transaction(monkeypatch):
    """40 tasks for 1,000 emails: one commit on the database backend, not one each."""
    spy = EnqueueSpy(monkeypatch)
    wake(list(range(1, 1001)))
    assert len(spy.transactions) == 40
    assert spy.transactions[0] is not None
    assert set(map(id, spy.transactions)) == {id(spy.transactions[0])}
    assert chunks_enqueued() == [list(range(n, n + 25)) for n in range(1, 1001, 25)]


@pytest.mark.django_db(transaction=True)
def test_when_the_one_transaction_fails_each_task_is_enqueued_on_its_own(monkeypatch, caplog):
    spy = EnqueueSpy(monkeypatch, fail_at=2)
    wake(list(range(1, 76)))
    expected = [list(range(n, n + 25)) for n in (1, 26, 51)]
    # The database rolled the first task back; RQ keeps it, and runs it twice harmlessly.
    again = [expected[0]] if on_rq() else []
    assert chunks_enqueued() == again + expected
    assert spy.transactions[2:] == [None, None, None]  # one by one, each committed alone
    assert "one by one" in caplog.text

"""Fair claims racing on PostgreSQL (SKIP LOCKED): tasks running at once never claim an email
twice, and as many tasks as the wake-ups enqueued claim every email, each task its full count:
none is left without a task to claim it."""

import queue
import secrets
import threading
from collections import Counter

import pytest
from django.db import connections
from django.utils import timezone

from porto.mail.delivery import emails_claim_next
from porto.mail.models import OutgoingEmail
from porto.mail.tasks import WAKE_BATCH
from tests.mail.test_fair_claim import queued_bulk

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("postgresql_only"),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 6
BULK_SENDS = {"Groothandel BV": 950, "Drukkerij NV": 40, "Bakkerij Peeters": 10}


def run_tasks_at_once(tasks: int) -> list[list[int]]:
    """``tasks`` claims of WAKE_BATCH emails, run by WORKERS threads that start together;
    what each claim took."""
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for number in range(tasks):
        todo.put(number)
    claims: list[list[int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(WORKERS)

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            while True:
                try:
                    todo.get_nowait()
                except queue.Empty:
                    return
                token = secrets.token_hex(16)
                taken = [e.pk for e in emails_claim_next(WAKE_BATCH, token, timezone.now())]
                with lock:
                    claims.append(taken)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return claims


def test_tasks_racing_claim_every_email_exactly_once_each_its_full_count():
    emails = [pk for name, count in BULK_SENDS.items() for pk in queued_bulk(name, count, files=0)]
    tasks = len(emails) // WAKE_BATCH  # what the wake-ups enqueued: 1,000 emails, 40 tasks
    claims = run_tasks_at_once(tasks)
    claimed = Counter(pk for taken in claims for pk in taken)
    assert len(claims) == tasks
    assert max(claimed.values()) == 1, "an email was claimed twice"
    assert set(claimed) == set(emails), "an email was left without a claim"
    assert [len(taken) for taken in claims] == [WAKE_BATCH] * tasks
    rows = OutgoingEmail.objects.filter(pk__in=emails)
    assert set(rows.values_list("state", "attempts")) == {(OutgoingEmail.State.SENDING, 1)}
    assert rows.values("lease_token").distinct().count() == tasks  # one lease per claim

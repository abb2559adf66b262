"""Several workers projecting at once on PostgreSQL: each takes rows the others do not hold
(``SELECT … FOR UPDATE SKIP LOCKED``), every stored request is projected exactly once and
every event recorded once, whatever batch it fell in."""

import threading
from collections.abc import Callable

import pytest
from django.db import connections

from porto.mail.feedback.webhooks import webhooks_project
from porto.mail.models import DeliveryEvent, InboundWebhook, OutgoingEmail
from porto.mail.status import Status

from .test_projection_batches import postmark, stored
from .tracking_helpers import email_with

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("postgresql_only"),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 4
EMAILS = 120


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Each job in its own thread (its own connection), all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


def test_four_workers_in_small_batches_project_each_request_once(company):
    for number in range(EMAILS):
        message_id = f"7e3f0c1a-0000-4000-8000-{number:012d}"
        address = f"klant{number}@klant.example"
        email_with(company, [address], message_id, sent_through="postmark", message_id=f"w{number}")
        stored(postmark("bounce_soft", message_id, address, 2, event_id=number + 1))
        stored(postmark("delivery", message_id, address, 4))
    results = run_together([lambda: webhooks_project(size=7, rounds=1000)] * WORKERS)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.requests for r in results) == 2 * EMAILS  # type: ignore[union-attr]
    assert sum(1 for r in results if r.requests) > 1  # type: ignore[union-attr]
    assert not InboundWebhook.objects.filter(processed_at=None).exists()
    assert set(InboundWebhook.objects.values_list("events_recorded", "error")) == {(1, "")}
    assert DeliveryEvent.objects.exclude(recipient=None).count() == 2 * EMAILS
    statuses = set(OutgoingEmail.objects.values_list("shown_status", flat=True))
    assert statuses == {Status.DELIVERED.value}

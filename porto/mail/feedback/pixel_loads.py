"""Pixel loads: stored in the request, projected into opened events by a worker, in batches.

The view stores each load of a genuine token in one INSERT (``pixel_load_store``: what it
knew, nothing more), then wakes the projection unless a task is already due to take it
(``pixel_loads_waiting_before``): a burst of loads costs one task. The same two statements as
the webhook view's, written once per process (``porto.lib.queued_rows``).

A worker projects the stored loads in batches (``pixel_loads_project``): one transaction takes
up to ``BATCH_SIZE`` waiting loads (``SKIP LOCKED``: two workers never take the same load),
applies to each, in the order they were stored, the rule of one load
(``porto.mail.feedback.opens.pixel_open_of``: the key, the bot and prefetch rules timed from
the delivery the loads before it proved, the dedupe key) and records the opens at once
(``porto.mail.events.events_record``: the same rules as ``record_event``; Read, the first open
time and the outbound hooks follow from it). A batch that fails falls back to one load at a
time; a load that fails alone is marked failed with its error and stays stored. The sweeper
projects loads whose wake-up was lost (``pixel_loads_sweep``) and deletes the loads projected
long ago (``pixel_loads_purge``).
"""

import datetime
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from porto.lib.queued_rows import queued_row_insert, queued_row_waiting_before
from porto.mail.events import events_record, facts_merged
from porto.mail.feedback.opens import PixelOpen, pixel_open_of, pixel_open_record
from porto.mail.feedback.webhooks import SWEEP_GRACE
from porto.mail.guard import run_guarded
from porto.mail.models import PixelLoad, Recipient

logger = logging.getLogger(__name__)

BATCH_SIZE = 500  # loads per transaction
BATCH_ROUNDS = 20  # batches per call before a task hands over to a fresh one
USER_AGENT_LENGTH = 500
REMOTE_IP_LENGTH = 64
_TIME = "loaded_at"


def pixel_load_store(
    recipient_id: int, key: str, *, user_agent: str, remote_ip: str, at: datetime.datetime
) -> PixelLoad:
    """Store one load of a genuine token (committed when this returns, outside a
    transaction). The key is compared with the recipient's later, by the worker."""
    load = PixelLoad(
        recipient_id=recipient_id,
        key=key,
        user_agent=user_agent[:USER_AGENT_LENGTH],
        remote_ip=remote_ip[:REMOTE_IP_LENGTH],
        loaded_at=at,
    )
    return queued_row_insert(load, _TIME)


def pixel_loads_waiting_before(
    load_id: int, *, now: datetime.datetime | None = None, grace: float = SWEEP_GRACE
) -> bool:
    """Does a load stored before ``load_id`` (and not yet the sweeper's) still wait for its
    projection? Then the task that projects it takes this one too: it claims again after
    every batch until none is left, and this one was committed before it looked."""
    due = (now or timezone.now()) - datetime.timedelta(seconds=grace)
    return queued_row_waiting_before(PixelLoad, _TIME, load_id, due)


@dataclass(frozen=True)
class LoadsProjection:
    loads: int  # loads taken: projected, or marked failed
    recorded: int  # new opened events
    more: bool = False  # the last round was full: more loads may be waiting


def pending_loads() -> QuerySet[PixelLoad]:
    return PixelLoad.objects.filter(processed_at__isnull=True)


def pixel_loads_project(
    pending: QuerySet[PixelLoad] | None = None,
    *,
    size: int = BATCH_SIZE,
    rounds: int = BATCH_ROUNDS,
) -> LoadsProjection:
    """Project ``pending`` (every stored load not yet projected) batch after batch, until a
    claim finds nothing (or after ``rounds`` batches). It claims again even after a short
    batch: a load committed meanwhile skipped its own wake-up because of this batch's."""
    pending = pending_loads() if pending is None else pending
    loads = recorded = 0
    for _ in range(rounds):
        batch = pixel_loads_batch_project(pending, size)
        loads, recorded = loads + batch.loads, recorded + batch.recorded
        if batch.loads == 0:
            return LoadsProjection(loads, recorded)
    return LoadsProjection(loads, recorded, more=True)


def pixel_loads_batch_project(pending: QuerySet[PixelLoad], size: int) -> LoadsProjection:
    """One transaction: take up to ``size`` of ``pending`` (loads another worker holds are
    skipped: ``SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time), record their
    opens at once and mark each load processed. When that fails it is rolled back and each
    load is projected alone, in its own savepoint (a bad one is marked failed)."""
    with transaction.atomic():
        rows = list(pending.select_for_update(skip_locked=True).order_by("pk")[:size])
        if not rows:
            return LoadsProjection(0, 0)
        try:
            with transaction.atomic():
                recorded = _loads_record(rows)
        except Exception:
            logger.warning("A batch of %s pixel loads failed: one by one", len(rows), exc_info=True)
            recorded = _loads_record_alone(rows)
    return LoadsProjection(len(rows), recorded)


def _loads_record(rows: list[PixelLoad]) -> int:
    recipients = Recipient.objects.select_related("email").in_bulk(
        {row.recipient_id for row in rows}
    )
    opens: list[PixelOpen] = []
    for row in rows:
        recipient = recipients.get(row.recipient_id)
        opened = pixel_open_of(
            recipient, row.key, user_agent=row.user_agent, remote_ip=row.remote_ip, at=row.loaded_at
        )
        if recipient is not None and opened is not None:
            opens.append(opened)
            # An open proves delivery: the next loads of the batch are timed from it, as
            # they would be recorded one by one in this order.
            facts_merged(recipient, [opened.event])
    stored = events_record(opens)
    _mark_processed([row.pk for row in rows])
    return sum(event is not None for event in stored)


def _loads_record_alone(rows: list[PixelLoad]) -> int:
    """Each load in its own savepoint, recorded by ``record_event`` (which tolerates an open
    stored meanwhile by another worker)."""
    recorded = 0
    for row in rows:
        recorded += (
            run_guarded(
                f"pixel load {row.pk}",
                partial(_load_record_alone, row),
                partial(pixel_load_mark_failed, row.pk),
            )
            or 0
        )
    return recorded


def _load_record_alone(row: PixelLoad) -> int:
    stored = pixel_open_record(
        row.recipient_id,
        row.key,
        user_agent=row.user_agent,
        remote_ip=row.remote_ip,
        at=row.loaded_at,
    )
    _mark_processed([row.pk])
    return int(stored is not None)


def _mark_processed(load_ids: list[int]) -> None:
    PixelLoad.objects.filter(pk__in=load_ids).update(processed_at=timezone.now(), error="")


def pixel_load_mark_failed(load_id: int, reason: str) -> None:
    PixelLoad.objects.filter(pk=load_id).update(processed_at=timezone.now(), error=reason)


def pixel_loads_sweep(
    now: datetime.datetime | None = None, *, grace: float = SWEEP_GRACE, limit: int = 5000
) -> int:
    """Project loads whose wake-up never ran (enqueue failed, worker killed), in batches; how
    many were taken. Projecting a load twice is harmless: its open is deduplicated."""
    due = (now or timezone.now()) - datetime.timedelta(seconds=grace)
    overdue = pending_loads().filter(loaded_at__lt=due)
    return pixel_loads_project(overdue, rounds=max(1, -(-limit // BATCH_SIZE))).loads


PURGE_CHUNK = 5000  # loads per DELETE


def pixel_loads_purge(now: datetime.datetime | None = None) -> int:
    """Delete the loads projected without error more than PORTO_TASK_RESULTS_KEEP_DAYS ago
    (what each carried is in its opened event; the one-task-per-load results they replace
    were kept as long). Failed and waiting loads stay. How many were deleted."""
    kept_from = (now or timezone.now()) - datetime.timedelta(
        days=settings.PORTO_TASK_RESULTS_KEEP_DAYS
    )
    old = PixelLoad.objects.filter(processed_at__lt=kept_from, error="")
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:PURGE_CHUNK]):
        deleted += PixelLoad.objects.filter(pk__in=ids).delete()[0]
    return deleted

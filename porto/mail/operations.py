"""Operating the outbox: what the emails still in it wait for, Retry now, and the cleanup of
task results a killed worker left behind.

- ``outbox_waiting`` says, for any set of emails (a bulk send, a company), how many are being
  handed off, wait for a retry, were held by a worker that stopped, wait at the gate (the
  sending limit, a pause) or were never tried: one home for the bulk page's explanations.
- ``emails_retry_now`` makes emails that wait for a retry after a deferral due now. It never
  touches an email held at the gate (``held``: the sending limit or a pause decides when those
  go), and never sends to an address that already has its answer (delivery sends only to the
  addresses still without one).
- ``task_results_clean`` (a periodic job) marks task results of the database backend that stayed
  RUNNING longer than a lease as failed (their worker was killed), and deletes finished ones
  older than ``PORTO_TASK_RESULTS_KEEP_DAYS``. The emails such a task held are not its business:
  their lease expires and the sweeper wakes them (``delivery.outbox_due``).

Services here never enqueue: the caller wakes the emails they return (``porto.mail.tasks``).
"""

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from porto.mail.delivery import hand_off_longest, lease_length
from porto.mail.models import DeliveryAttempt, OutgoingEmail

State = OutgoingEmail.State
Held = OutgoingEmail.Held

# A hand-off that takes longer than this many SMTP command timeouts is a slow one.
SLOW_HAND_OFF_TIMEOUTS = 3
# Retry now leaves alone an email tried less than this long ago: a second click does nothing.
RETRY_NOW_COOLDOWN = datetime.timedelta(seconds=60)
# At most this many finished task results are deleted per run of the cleanup job.
PRUNE_BATCH = 10_000
DELIVERY_TASK = "porto.mail.tasks.deliver_emails"


# What the emails in the outbox wait for


def stalled_before(now: datetime.datetime) -> datetime.datetime:
    """Leases ending before this moment belong to a worker that stopped (or expired already).

    A working worker renews its batch's lease before each hand-off as soon as no more than
    ``hand_off_longest()`` is left (``delivery.lease_held``): its lease only runs lower than
    that by the time of one hand-off. A lease lower by more than a slow hand-off means the
    worker has been silent for that long: killed, or stuck. The sweeper hands such emails to
    another worker once the lease has run out (``worker_stopped_resend_by``)."""
    slow = datetime.timedelta(seconds=SLOW_HAND_OFF_TIMEOUTS * settings.PORTO_MAIL_SMTP_TIMEOUT)
    return now + hand_off_longest() - slow


def sending_q(now: datetime.datetime) -> Q:
    return Q(state=State.SENDING, lease_until__gte=stalled_before(now))


def stalled_q(now: datetime.datetime) -> Q:
    lease_low = Q(lease_until__lt=stalled_before(now)) | Q(lease_until__isnull=True)
    return Q(state=State.SENDING) & lease_low


def retrying_q() -> Q:
    """Tried before and queued again: they wait for their retry's time (or a worker)."""
    return Q(state=State.QUEUED, held=Held.NO, attempts__gt=0)


def never_tried_q() -> Q:
    return Q(state=State.QUEUED, held=Held.NO, attempts=0)


def held_q(why: str) -> Q:
    return Q(state=State.QUEUED, held=why)


def deferred_q(now: datetime.datetime) -> Q:
    """What Retry now may make due: queued after a deferral, its retry still to come, and not
    held at the gate (a pause or the sending limit decides when those go)."""
    return Q(state=State.QUEUED, held=Held.NO, next_attempt_at__gt=now)


@dataclass(frozen=True)
class OutboxWaiting:
    """The emails still in the outbox, by what they wait for; the counts add up to ``total``."""

    sending: int = 0
    retrying: int = 0
    next_retry_at: datetime.datetime | None = None
    last_reason: object = ""  # the stored reason of the latest deferral (porto.mail.reasons)
    stalled: int = 0
    resend_by: datetime.datetime | None = None  # when the sweeper has woken them all
    rate: int = 0
    rate_last_at: datetime.datetime | None = None  # when the last of them may go
    paused: int = 0
    queued: int = 0
    retry_now: int = 0  # how many Retry now would make due

    @property
    def total(self) -> int:
        return self.sending + self.retrying + self.stalled + self.rate + self.paused + self.queued


def outbox_waiting(emails: QuerySet[OutgoingEmail], now: datetime.datetime) -> OutboxWaiting:
    """``emails`` still in the outbox, by what they wait for: one aggregate query, plus one
    for the latest deferral's reason and one for Retry now when some wait for a retry."""
    stalled = stalled_q(now)
    rate = held_q(Held.RATE)
    retrying = retrying_q()
    found = emails.filter(state__in=[State.QUEUED, State.SENDING]).aggregate(
        sending=Count("pk", filter=sending_q(now)),
        retrying=Count("pk", filter=retrying),
        next_retry_at=Min("next_attempt_at", filter=retrying),
        stalled=Count("pk", filter=stalled),
        stalled_until=Max("lease_until", filter=stalled),
        rate=Count("pk", filter=rate),
        rate_last_at=Max("next_attempt_at", filter=rate),
        paused=Count("pk", filter=held_q(Held.PAUSED)),
        queued=Count("pk", filter=never_tried_q()),
    )
    stalled_until = found.pop("stalled_until")
    resend_by = worker_stopped_resend_by(stalled_until) if stalled_until else None
    if not found["retrying"]:
        return OutboxWaiting(**found, resend_by=resend_by)
    return OutboxWaiting(
        **found,
        resend_by=resend_by,
        last_reason=latest_deferral_reason(emails),
        retry_now=retry_now_candidates(emails, now).count(),
    )


def worker_stopped_resend_by(lease_until: datetime.datetime) -> datetime.datetime:
    """When emails whose lease ends at ``lease_until`` have been handed to a worker again:
    the first sweep after the lease ran out wakes them (``delivery.outbox_due``; the sweep runs
    every PORTO_MAIL_SWEEP_INTERVAL seconds), rounded up to the minute shown."""
    woken = lease_until + datetime.timedelta(seconds=settings.PORTO_MAIL_SWEEP_INTERVAL)
    return minute_ceiling(woken)


def minute_ceiling(moment: datetime.datetime) -> datetime.datetime:
    seconds = moment.second + moment.microsecond / 1e6
    rounded = moment.replace(second=0, microsecond=0)
    return rounded + datetime.timedelta(minutes=math.ceil(seconds / 60))


def latest_deferral_reason(emails: QuerySet[OutgoingEmail]) -> object:
    """The reason of the deferral the latest retry waits for."""
    latest = emails.filter(retrying_q()).exclude(last_error="").order_by("-next_attempt_at")
    return latest.values_list("last_error", flat=True).first() or ""


# Retry now


def retry_now_candidates(
    emails: QuerySet[OutgoingEmail], now: datetime.datetime
) -> QuerySet[OutgoingEmail]:
    """The deferred emails among ``emails`` that Retry now makes due: not tried in the last
    RETRY_NOW_COOLDOWN (a second click, or a click right after a retry, does nothing)."""
    tried_lately = DeliveryAttempt.objects.filter(
        email=OuterRef("pk"), started_at__gt=now - RETRY_NOW_COOLDOWN
    )
    return emails.filter(deferred_q(now)).exclude(Exists(tried_lately))


def emails_retry_now(
    emails: QuerySet[OutgoingEmail], now: datetime.datetime | None = None
) -> list[int]:
    """Make the deferred emails among ``emails`` due now, counted as woken now (the sweeper
    wakes them again only if the caller's wake-up gets lost); their ids, for the caller to
    wake. The queued rows are locked first and the clock is read after the lock, so a click
    that waited for another one sees its emails due already: two clicks at once make each
    email due once. ``now`` fixes the clock (tests).

    A retry is an attempt like any other: it counts towards giving up, and an address that
    already has its answer (accepted, or refused for good) is never sent to again."""
    with transaction.atomic():
        locked = list(
            emails.filter(state=State.QUEUED, held=Held.NO)
            .select_for_update()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        now = now or timezone.now()
        candidates = retry_now_candidates(OutgoingEmail.objects.filter(pk__in=locked), now)
        ids = list(candidates.order_by("pk").values_list("pk", flat=True))
        OutgoingEmail.objects.filter(pk__in=ids).update(next_attempt_at=now, woken_at=now)
    return ids


# Task results a killed worker left RUNNING


class WorkerStopped(Exception):
    """Stored as the error of a task whose worker stopped while running it."""


WORKER_STOPPED_TRACEBACK = (
    "The worker running this task stopped (killed or crashed) before it finished: the task "
    "was still RUNNING after {seconds:.0f} seconds, longer than an outbox lease. Porto marked "
    "it failed. Emails it was delivering were handed to another worker when their lease ran "
    "out."
)


@dataclass(frozen=True)
class TasksCleaned:
    stopped: int
    pruned: int

    def __bool__(self) -> bool:
        return bool(self.stopped or self.pruned)

    def __str__(self) -> str:
        return f"{self.stopped} stopped marked failed, {self.pruned} old results deleted"


def task_results_clean(now: datetime.datetime) -> TasksCleaned:
    """The periodic job: stopped tasks marked failed, old finished results deleted."""
    return TasksCleaned(stopped=stopped_tasks_fail(now), pruned=finished_tasks_prune(now))


def stopped_tasks_fail(now: datetime.datetime) -> int:
    """Mark as failed the tasks RUNNING for longer than a lease whose worker is gone. A delivery
    task may outlive one lease while it renews it: one whose emails are still held under a
    running lease is left alone (it is alive, or another worker holds them now)."""
    started_before = now - lease_length()
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=started_before
    )
    stopped = [task.pk for task in running if not delivery_still_held(task, now)]
    return DBTaskResult.objects.filter(pk__in=stopped, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        return_value=None,
        exception_class_path=f"{WorkerStopped.__module__}.{WorkerStopped.__qualname__}",
        traceback=WORKER_STOPPED_TRACEBACK.format(seconds=lease_length().total_seconds()),
    )


def delivery_still_held(task: DBTaskResult, now: datetime.datetime) -> bool:
    if task.task_path != DELIVERY_TASK:
        return False
    args = (task.args_kwargs or {}).get("args") or [[]]
    email_ids = [i for i in args[0] if isinstance(i, int)] if isinstance(args[0], list) else []
    return OutgoingEmail.objects.filter(
        pk__in=email_ids, state=State.SENDING, lease_until__gte=now
    ).exists()


def finished_tasks_prune(now: datetime.datetime) -> int:
    kept_from = now - datetime.timedelta(days=settings.PORTO_TASK_RESULTS_KEEP_DAYS)
    old = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=kept_from,
    )
    ids = list(old.values_list("pk", flat=True)[:PRUNE_BATCH])
    deleted, _ = DBTaskResult.objects.filter(pk__in=ids).delete()
    return deleted

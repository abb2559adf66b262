"""Tasks: the top of the mail app. A task calls services and enqueues what they say should
happen next; services never enqueue. A task only wakes a worker: the outbox rows are the
truth, so a lost or repeated task is harmless (the sweeper wakes forgotten rows, a claim
refuses doubles). Every enqueue of a caller's rows happens in ``transaction.on_commit``."""

import datetime
import logging
from collections.abc import Callable
from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_tasks import task

from porto.emailsettings.models import EmailSettings
from porto.lib.deferred import whole_second_after
from porto.mail.breaker import breaker_settings_saved
from porto.mail.delivery import (
    email_deliver,
    email_mark_failed,
    emails_deliver_next,
    outbox_due,
    retry_wake_plan,
    waiting_until,
)
from porto.mail.feedback.opens import pixel_open_record
from porto.mail.feedback.pixel_loads import pixel_loads_project, pixel_loads_waiting_before
from porto.mail.feedback.webhooks import webhooks_project, webhooks_waiting_before
from porto.mail.guard import run_guarded
from porto.mail.transports import Transports

logger = logging.getLogger(__name__)

WAKE_BATCH = 25  # emails per task: few enqueues for a bulk send, still spread over workers
# Each task claims as many emails as it was woken for, the fairest due ones: see
# ``delivery.emails_claim_next`` for why no email is left without a task.


@task()
def deliver_emails(email_ids: list[int]) -> dict[str, str]:
    """Deliver as many emails as this wake-up woke, but the next due ones of the whole outbox,
    taken in turns across companies (``delivery.emails_claim_next``): a small company's
    invoice woken after a large bulk send is served by the next task that runs, not after the
    bulk's. Per email claimed, what happened; if even the claim fails, the woken emails are
    delivered one by one."""
    with Transports() as transports:  # one connection per server for the whole batch
        outcomes = run_guarded(
            f"emails {email_ids}",
            partial(emails_deliver_next, len(email_ids), transports=transports),
            lambda reason: None,  # the batch could not even be claimed: one at a time
            savepoint=False,  # the outbox commits "handing off" before the network call
        )
        if outcomes is None:
            return {str(email_id): deliver_guarded(email_id, transports) for email_id in email_ids}
    for email_id, outcome in outcomes.items():
        if outcome == "retry":
            wake_retry(email_id)
    wake_waiting([email_id for email_id, outcome in outcomes.items() if outcome == "waiting"])
    return {str(email_id): outcome for email_id, outcome in outcomes.items()}


def deliver_guarded(email_id: int, transports: Transports) -> str:
    """One email on its own; whatever it does, the next ones are still delivered."""
    outcome = run_guarded(
        f"email {email_id}",
        partial(email_deliver, email_id, transports=transports),
        partial(email_mark_failed, email_id),
        savepoint=False,  # the outbox commits "handing off" before the network call
    )
    if outcome == "retry":
        wake_retry(email_id)
    return outcome or "error"


def wake(email_ids: list[int]) -> None:
    """One task per ``WAKE_BATCH`` emails, all enqueued in one transaction: the database
    backend's tasks are one commit, not one each (a bulk send of 1,000 emails has 40). If
    that fails, each is enqueued on its own, as many as can be; a task enqueued twice (RQ
    keeps what it took before the failure) finds its emails claimed already."""
    chunks = [
        email_ids[start : start + WAKE_BATCH] for start in range(0, len(email_ids), WAKE_BATCH)
    ]
    try:
        with transaction.atomic():
            for chunk in chunks:
                deliver_emails.enqueue(chunk)
    except Exception:
        logger.warning("Could not enqueue delivery of emails in one go: one by one", exc_info=True)
        for chunk in chunks:
            _wake_chunk(chunk)


def _wake_chunk(chunk: list[int]) -> None:
    try:
        deliver_emails.enqueue(chunk)
    except Exception:  # the sweeper wakes them later; never lose the request for this
        logger.exception("Could not enqueue delivery of emails %s", chunk)


def wake_on_commit(email_ids: list[int]) -> None:
    if email_ids:
        transaction.on_commit(partial(wake, list(email_ids)))


def can_wake_later() -> bool:
    return deliver_emails.get_backend().supports_defer


def wake_retry(email_id: int) -> None:
    """A retry's wake-up at its time (db backend; RQ with its scheduler). Without one the
    sweeper wakes the email when it is due."""
    if not can_wake_later():
        return
    with transaction.atomic():
        when = retry_wake_plan(email_id)
        if when is not None:
            transaction.on_commit(partial(_enqueue_later, email_id, when))


def wake_waiting(email_ids: list[int]) -> None:
    """Emails the gate held back (porto.mail.gate): one wake-up per moment they may go, not
    one per email. Without deferred tasks the sweeper wakes them when they are due."""
    if not email_ids or not can_wake_later():
        return
    moments: dict[datetime.datetime, list[int]] = {}
    for email_id, when in waiting_until(email_ids).items():
        moments.setdefault(when, []).append(email_id)
    for when, ids in sorted(moments.items()):
        for start in range(0, len(ids), WAKE_BATCH):
            transaction.on_commit(partial(_enqueue_later, ids[start : start + WAKE_BATCH], when))


@receiver(post_save, sender=EmailSettings, dispatch_uid="porto-mail-breaker-settings-saved")
def on_email_settings_saved(sender, instance: EmailSettings, created: bool, **kwargs) -> None:
    """Saved email settings may fix what paused the company's own server (a password): its
    breaker closes and the emails held for it go at once (porto.mail.breaker)."""
    if not created:
        wake_on_commit(breaker_settings_saved(instance.company_id))


def _enqueue_later(email_ids: int | list[int], when: datetime.datetime) -> None:
    ids = email_ids if isinstance(email_ids, list) else [email_ids]
    try:
        deliver_emails.using(run_after=whole_second_after(when)).enqueue(ids)
    except Exception:
        logger.exception("Could not schedule the delivery of emails %s", ids)


def outbox_sweep(now: datetime.datetime | None = None, limit: int = 5000) -> int:
    """Wake emails whose retry is due, whose lease expired (crashed worker) or whose wake-up
    task seems lost. Returns how many were woken."""
    email_ids = outbox_due(now, limit)
    wake(email_ids)
    return len(email_ids)


# --- Delivery tracking: provider webhooks and the open pixel ------------------------------


@task()
def process_webhook(webhook_id: int | None = None) -> int:
    """Project every stored request waiting (``webhook_id``'s among them), batch after batch;
    when they keep coming, a fresh task takes over. How many events were new."""
    projection = webhooks_project()
    if projection.more:
        _enqueue(process_webhook)
    return projection.recorded


def process_webhook_on_commit(webhook_id: int) -> None:
    """Wake the projection once the stored request is committed. The request stays
    unprocessed (processed_at empty, found by the sweeper) if the enqueue fails."""
    transaction.on_commit(partial(webhook_wake, webhook_id))


def webhook_wake(webhook_id: int) -> None:
    """Enqueue the projection, unless a request stored earlier still waits for one: its task
    takes this one too (``webhooks_waiting_before``), so a burst of N requests costs one task,
    not N."""
    _wake_unless_waiting(process_webhook, webhook_id, webhooks_waiting_before)


def _wake_unless_waiting(chosen_task, row_id: int, waiting_before: Callable[[int], bool]) -> None:
    try:
        if waiting_before(row_id):
            return
    except Exception:  # cannot tell: wake anyway, a spare task finds nothing to do
        logger.exception("Could not look for rows waiting before %s (%s)", row_id, chosen_task.name)
    _enqueue(chosen_task, row_id)


@task()
def project_pixel_loads(load_id: int | None = None) -> int:
    """Project every stored pixel load waiting (``load_id``'s among them), batch after batch;
    when they keep coming, a fresh task takes over. How many opens were new."""
    projection = pixel_loads_project()
    if projection.more:
        _enqueue(project_pixel_loads)
    return projection.recorded


def pixel_load_on_commit(load_id: int) -> None:
    """Wake the projection once the stored load is committed. The load stays unprocessed
    (found by the sweeper) if the enqueue fails."""
    transaction.on_commit(partial(pixel_load_wake, load_id))


def pixel_load_wake(load_id: int) -> None:
    """Enqueue the projection, unless a load stored earlier still waits for one: its task takes
    this one too (``pixel_loads_waiting_before``), so a burst of loads costs one task."""
    _wake_unless_waiting(project_pixel_loads, load_id, pixel_loads_waiting_before)


@task()
def record_pixel_open(
    recipient_id: int, key: str, user_agent: str, remote_ip: str, at: str
) -> bool:
    """One load, as the view enqueued it before loads were stored (``PixelLoad``): kept so
    that tasks queued before an upgrade still record their open."""
    stored = pixel_open_record(
        recipient_id,
        key,
        user_agent=user_agent,
        remote_ip=remote_ip,
        at=datetime.datetime.fromisoformat(at),
    )
    return stored is not None


def _enqueue(chosen_task, *args) -> None:
    try:
        chosen_task.enqueue(*args)
    except Exception:  # the response must not fail for it
        logger.exception("Could not enqueue %s%r", chosen_task.name, args)

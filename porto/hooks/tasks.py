"""Tasks of the outbound webhooks, and the receivers that turn mail's and documents' signals
into messages. A task only wakes a worker: the ``WebhookMessage`` rows are the truth, a lost
wake-up is found by the periodic job registered below, a repeated one is refused by the claim. Nothing
here runs inside a send: the sending task never waits for an endpoint."""

import datetime
import logging
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django_tasks import task

from porto.documents.services import document_finalized
from porto.hooks.models import WebhookEndpoint
from porto.hooks.services import (
    SWEEP_GRACE,
    message_deliver,
    messages_due,
    messages_emit_for_document,
    messages_emit_for_email,
)
from porto.lib.deferred import whole_second_after
from porto.mail.periodic import job_register
from porto.mail.status_store import email_status_stored, emails_status_stored

logger = logging.getLogger(__name__)


@task()
def deliver_webhook(message_id: int) -> str:
    outcome = message_deliver(message_id)
    if outcome.retry_at is not None:
        wake_later(message_id, outcome.retry_at)
    return outcome.state


def wake(message_ids: list[int]) -> None:
    for message_id in message_ids:
        try:
            deliver_webhook.enqueue(message_id)
        except Exception:  # the sweeper wakes it later; the writer must not fail for this
            logger.exception("Could not enqueue webhook message %s", message_id)


def wake_on_commit(message_ids: list[int]) -> None:
    if message_ids:
        transaction.on_commit(partial(wake, list(message_ids)))


def wake_later(message_id: int, when: datetime.datetime) -> None:
    """The retry's wake-up at its time where the backend can defer; else the sweeper."""
    if not deliver_webhook.get_backend().supports_defer:
        return
    try:
        deliver_webhook.using(run_after=whole_second_after(when)).enqueue(message_id)
    except Exception:
        logger.exception("Could not schedule the retry of webhook message %s", message_id)


def webhooks_sweep(now: datetime.datetime | None = None) -> int:
    message_ids = messages_due(now, overdue_by=SWEEP_GRACE)
    wake(message_ids)
    return len(message_ids)


@receiver(email_status_stored, dispatch_uid="hooks.email_status_stored")
def on_email_status_stored(sender, email, recipients, decided, **kwargs) -> None:
    emit_guarded(
        f"email {email.pk}",
        partial(messages_emit_for_email, email, recipients, decided.status.value),
    )


@receiver(emails_status_stored, dispatch_uid="hooks.emails_status_stored")
def on_emails_status_stored(sender, stored, **kwargs) -> None:
    """A batch of decisions (the event projection): the companies with an endpoint are looked
    up once for the batch, then each of their emails is handled as one decision."""
    companies = {email.company_id for email, _, _ in stored}
    listening = set(
        WebhookEndpoint.objects.filter(company_id__in=companies, enabled=True).values_list(
            "company_id", flat=True
        )
    )
    for email, recipients, decided in stored:
        if email.company_id in listening:
            on_email_status_stored(sender, email=email, recipients=recipients, decided=decided)


@receiver(document_finalized, dispatch_uid="hooks.document_finalized")
def on_document_finalized(sender, document, **kwargs) -> None:
    emit_guarded(f"document {document.pk}", partial(messages_emit_for_document, document))


def emit_guarded(what: str, emit: Callable[[], list[int]]) -> None:
    """Write the messages in the writer's transaction, in a savepoint: a fault here loses the
    event (logged) but never the status or the finalization that caused it."""
    try:
        with transaction.atomic():
            message_ids = emit()
    except Exception:
        logger.exception("Could not write the webhook messages of %s", what)
        return
    wake_on_commit(message_ids)


# Due retries whose deferred wake-up got lost, with the mail sweep's period.
job_register("outbound webhooks", lambda: settings.PORTO_MAIL_SWEEP_INTERVAL, webhooks_sweep)

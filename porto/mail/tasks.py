"""Thin task wrappers. A task only wakes a worker: the outbox rows are the truth, so a lost
or repeated task is harmless (the sweeper wakes forgotten rows, a claim refuses doubles)."""

import logging
from functools import partial

from django.db import transaction
from django_tasks import task

logger = logging.getLogger(__name__)

WAKE_BATCH = 25  # emails per task: few enqueues for a bulk send, still spread over workers


@task()
def deliver_emails(email_ids: list[int]) -> dict[str, str]:
    from porto.mail.delivery import email_deliver

    return {str(email_id): email_deliver(email_id) for email_id in email_ids}


def wake(email_ids: list[int]) -> None:
    for start in range(0, len(email_ids), WAKE_BATCH):
        chunk = email_ids[start : start + WAKE_BATCH]
        try:
            deliver_emails.enqueue(chunk)
        except Exception:  # the sweeper wakes them later; never lose the request for this
            logger.exception("Could not enqueue delivery of emails %s", chunk)


def wake_on_commit(email_ids: list[int]) -> None:
    if email_ids:
        transaction.on_commit(partial(wake, list(email_ids)))

"""Tasks for what comes back: Update status of one email, and the periodic poll that queues
it. The refresh services claim; these functions queue what was claimed."""

import datetime
import logging
from functools import partial

from django.db import transaction
from django_tasks import task

from porto.mail.feedback.refresh.services import email_refresh, refresh_poll
from porto.mail.providers.base.status import RefreshFailed

logger = logging.getLogger(__name__)


@task()
def refresh_email(email_id: int) -> str:
    try:
        return f"{email_refresh(email_id)} new event(s)"
    except RefreshFailed as error:
        logger.warning("Update status of email %s failed: %s", email_id, error.message)
        return error.message


def refresh_enqueue(email_id: int) -> None:
    try:
        refresh_email.enqueue(email_id)
    except Exception:  # the poller asks again later
        logger.exception("Could not enqueue Update status of email %s", email_id)


def refresh_on_commit(email_id: int) -> None:
    """Queue Update status of a claimed email once the claim is committed."""
    transaction.on_commit(partial(refresh_enqueue, email_id))


def refresh_poll_enqueue(now: datetime.datetime | None = None) -> int:
    """The periodic poll (run by ``mail_sweeper``): claim the due emails and queue their
    Update status; how many were queued."""
    email_ids = refresh_poll(now)
    for email_id in email_ids:
        refresh_on_commit(email_id)
    return len(email_ids)

"""Thin task wrappers for what comes back: Update status, the poll, the mailbox scan."""

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def refresh_email(email_id: int) -> str:
    from porto.mail.feedback.refresh.services import email_refresh
    from porto.mail.providers.base.status import RefreshFailed

    try:
        return f"{email_refresh(email_id)} new event(s)"
    except RefreshFailed as error:
        logger.warning("Update status of email %s failed: %s", email_id, error.message)
        return error.message


@task()
def refresh_poll() -> int:
    from porto.mail.feedback.refresh.services import refresh_poll as poll

    return poll()

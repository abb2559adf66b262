"""Reads over the stored email status: which emails, and which documents' latest email, show
a given status. The overview's email status filter and the API's ``last_email_status`` both
read it here, from the document's copy of its latest email's status (``Document.email_status``
and ``email_unknown_after``, written by ``porto.mail.status_store``)."""

import datetime

from django.db.models import Q, QuerySet

from porto.mail.status import Status

EMAIL_STATUSES = [s.value for s in Status]


def stored_status_q(
    status: str,
    now: datetime.datetime,
    *,
    status_field: str = "shown_status",
    after_field: str = "unknown_after",
) -> Q:
    """Rows whose stored status reads as ``status`` at ``now`` (porto.mail.status.status_at):
    In transit turns Unknown from ``unknown_after`` on. Emails by default; a document's
    latest email with ``document_status_q``."""
    waiting = Q(**{status_field: Status.IN_TRANSIT})
    if status == Status.IN_TRANSIT:
        not_yet = Q(**{f"{after_field}__isnull": True}) | Q(**{f"{after_field}__gt": now})
        return waiting & not_yet
    if status == Status.UNKNOWN:
        return Q(**{status_field: Status.UNKNOWN}) | (waiting & Q(**{f"{after_field}__lte": now}))
    return Q(**{status_field: status})


def document_status_q(status: str, now: datetime.datetime) -> Q:
    """Documents whose latest email's badge reads ``status`` at ``now``: the document's own
    indexed columns, the ones its badge is read from."""
    return stored_status_q(
        status, now, status_field="email_status", after_field="email_unknown_after"
    )


def documents_whose_latest_email_shows(documents: QuerySet, status: str, now: datetime.datetime):
    """``documents`` narrowed to those whose latest email's badge reads ``status`` at ``now``."""
    return documents.filter(document_status_q(status, now))

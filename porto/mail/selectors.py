"""Reads over the stored email status: which documents' latest email shows a given status.
The overview's email status filter and the API's ``last_email_status`` both read it here."""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from porto.mail.models import OutgoingEmail
from porto.mail.status import Status

EMAIL_STATUSES = [s.value for s in Status]


def latest_email_subquery():
    """Annotate documents with it as ``latest_email_id``."""
    return Subquery(
        OutgoingEmail.objects.filter(document=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )


def stored_status_q(status: str, now: datetime.datetime) -> Q:
    """Emails whose stored status reads as ``status`` at ``now`` (porto.mail.status.status_at):
    In transit turns Unknown from ``unknown_after`` on."""
    waiting = Q(shown_status=Status.IN_TRANSIT)
    expired = waiting & Q(unknown_after__lte=now)
    if status == Status.IN_TRANSIT:
        return waiting & (Q(unknown_after__isnull=True) | Q(unknown_after__gt=now))
    if status == Status.UNKNOWN:
        return Q(shown_status=Status.UNKNOWN) | expired
    return Q(shown_status=status)


def email_status_filter(status: str, now: datetime.datetime) -> Q:
    """Documents (annotated with ``latest_email_id``) whose latest email's badge reads
    ``status`` at ``now``."""
    latest = OutgoingEmail.objects.filter(
        stored_status_q(status, now), pk=OuterRef("latest_email_id")
    )
    return Q(Exists(latest))


def documents_whose_latest_email_shows(documents: QuerySet, status: str, now: datetime.datetime):
    """``documents`` narrowed to those whose latest email's badge reads ``status`` at ``now``."""
    annotated = documents.annotate(latest_email_id=latest_email_subquery())
    return annotated.filter(email_status_filter(status, now))

"""Reads for the pages: a document's emails, the overview with each document's latest email
status (a fixed number of queries per page) and the bulk send's summary. The send pop-up's
defaults are ``porto.mail.send.defaults.send_defaults``."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from porto.accounts.models import Company
from porto.documents import selectors as document_selectors
from porto.documents.models import Document
from porto.mail.models import BulkJob, OutgoingEmail, Recipient
from porto.mail.reasons import reason_render
from porto.mail.requests import bulk_send
from porto.mail.status import Badge, EmailStatus, Status

EMAIL_STATUSES = [s.value for s in Status]


# A document's emails


@dataclass
class EmailRow:
    """An email as the overview shows it: its badge and why its recipients failed."""

    email: OutgoingEmail
    badge: Badge
    failure_reasons: list[str]

    @property
    def tip_id(self) -> str:
        """The id of the badge's tooltip (the failure reasons)."""
        return f"email-{self.email.pk}-badge-tip"


def email_row(email: OutgoingEmail, now: datetime.datetime) -> EmailRow:
    """The badge from the stored status (the same the filters read); the reasons from the
    recipients (prefetched) that show Failed."""
    stored = EmailStatus(Status(email.shown_status), email.unknown_after, email.some_failed)
    reasons = [
        reason_render(r.failure_reason)
        for r in email.recipients.all()
        if r.status(now) == Status.FAILED
    ]
    return EmailRow(email=email, badge=stored.badge(now), failure_reasons=reasons)


# The overview


def latest_email_subquery():
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
    """Documents whose latest email's badge reads ``status`` at ``now``."""
    latest = OutgoingEmail.objects.filter(
        stored_status_q(status, now), pk=OuterRef("latest_email_id")
    )
    return Q(Exists(latest))


@dataclass(frozen=True)
class OverviewFilters:
    kind: str = ""
    status: str = ""
    client: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    search: str = ""


def document_overview(
    company: Company, filters: OverviewFilters, now: datetime.datetime | None = None
) -> QuerySet[Document]:
    document_status = "" if filters.status in EMAIL_STATUSES else filters.status
    documents = document_selectors.document_list(
        company, kind=filters.kind, status=document_status, search=filters.search
    ).annotate(latest_email_id=latest_email_subquery())
    if filters.status in EMAIL_STATUSES:
        documents = documents.filter(email_status_filter(filters.status, now or timezone.now()))
    if filters.client:
        documents = documents.filter(client_id=filters.client)
    if filters.date_from:
        documents = documents.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(issue_date__lte=filters.date_to)
    return documents


def latest_badges(
    documents: list[Document], now: datetime.datetime | None = None
) -> dict[int, EmailRow]:
    """The latest email of each document on the page, with its status: two queries."""
    now = now or timezone.now()
    ids: list[int] = [d.latest_email_id for d in documents if d.latest_email_id]  # type: ignore[attr-defined]
    emails = OutgoingEmail.objects.filter(pk__in=ids).prefetch_related("recipients")
    rows = {}
    for email in emails:
        for recipient in email.recipients.all():
            recipient.email = email
        rows[email.document_id] = email_row(email, now)
    return rows


# Bulk send


@dataclass(frozen=True)
class PlannedSend:
    number: str
    client: str
    to: list[str]


@dataclass(frozen=True)
class BulkPlan:
    sends: list[PlannedSend]
    skipped: list[dict]


def bulk_plan(company: Company, document_ids: list[int]) -> BulkPlan:
    """What ``bulk_send`` would do, without doing it: the service plans inside a transaction
    that is rolled back (no row stays; the service never enqueues), so the summary and the
    real send follow the same rules."""
    with transaction.atomic():
        try:
            job = bulk_send(company, document_ids)
        except ValidationError as error:
            transaction.set_rollback(True)
            return BulkPlan(sends=[], skipped=[{"number": "", "reason": m} for m in error.messages])
        emails = job.emails.select_related("document__client").prefetch_related("recipients")
        sends = [
            PlannedSend(
                number=e.document.number,
                client=e.document.client.name if e.document.client else "",
                to=[r.address for r in e.recipients.all() if r.kind == Recipient.Kind.TO],
            )
            for e in emails.order_by("pk")
        ]
        skipped = [skip | {"reason": reason_render(skip["reason"])} for skip in job.skipped]
        transaction.set_rollback(True)
    return BulkPlan(sends=sends, skipped=skipped)


def bulk_results(job: BulkJob) -> list[dict]:
    """Every document of a bulk send: sent, failed with the reason, or skipped with why; the
    reasons in the reader's language."""
    results = []
    emails = job.emails.select_related("document").prefetch_related("recipients").order_by("pk")
    for email in emails:
        reasons = [reason_render(r.failure_reason) for r in email.recipients.all()]
        results.append(
            {
                "number": email.document.number,
                "state": email.state,
                "to": ", ".join(r.address for r in email.recipients.all()),
                "reason": " ".join(filter(None, reasons)) or reason_render(email.last_error),
            }
        )
    for skip in job.skipped:
        results.append(
            {
                "number": skip.get("number", ""),
                "state": "skipped",
                "to": "",
                "reason": reason_render(skip["reason"]),
            }
        )
    return results

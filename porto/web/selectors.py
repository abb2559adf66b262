"""Reads for the pages: a document's emails, the overview with each document's latest email
status (a fixed number of queries per page) and the bulk send's summary. The send pop-up's
defaults are ``porto.mail.send.defaults.send_defaults``."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from porto.accounts.models import Company
from porto.documents import selectors as document_selectors
from porto.documents.models import Document
from porto.mail.models import BulkJob, OutgoingEmail, Recipient, TransportName
from porto.mail.requests import bulk_send
from porto.mail.status import Badge, Status, document_badge

EMAIL_STATUSES = [s.value for s in Status]


# A document's emails


@dataclass
class EmailRow:
    email: OutgoingEmail
    badge: Badge
    recipients: list[tuple[Recipient, Status]]

    @property
    def failure_reasons(self) -> list[str]:
        return [r.failure_reason for r, s in self.recipients if s == Status.FAILED]


def email_rows(emails, now: datetime.datetime | None = None) -> list[EmailRow]:
    """Status of each email (recipients prefetched): one badge from its To recipients."""
    now = now or timezone.now()
    rows = []
    for email in emails:
        recipients = [(r, r.status(now)) for r in email.recipients.all()]
        to = [s for r, s in recipients if r.kind == Recipient.Kind.TO]
        rows.append(EmailRow(email=email, badge=document_badge(to), recipients=recipients))
    return rows


# The overview


def latest_email_subquery():
    return Subquery(
        OutgoingEmail.objects.filter(document=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )


def _to_recipients(*conditions: Q, **filters) -> Exists:
    return Exists(
        Recipient.objects.filter(
            *conditions, email_id=OuterRef("latest_email_id"), kind=Recipient.Kind.TO, **filters
        )
    )


def _alive_since(cutoff: datetime.datetime) -> Q:
    return (
        Q(accepted_at__gte=cutoff)
        | Q(last_deferred_at__gte=cutoff)
        | Q(email__handed_off_at__gte=cutoff)
        | Q(accepted_at__isnull=True, last_deferred_at__isnull=True, email__handed_off_at=None)
    )


# A human open counts only when the email was sent with open tracking on
# (porto.mail.status.as_counted).
COUNTED_READ = Q(human_open_at__isnull=False, email__track_opens=True)


def email_status_filter(status: str, now: datetime.datetime) -> Q:
    """The rules of porto.mail.status.shown_status and document_badge, as SQL on the latest
    email's To recipients (so the filter agrees with the badge)."""
    read = _to_recipients(COUNTED_READ)
    not_failed = _to_recipients(failed_at__isnull=True) | read
    all_failed = _to_recipients() & ~not_failed
    delivered = _to_recipients(~COUNTED_READ, delivered_at__isnull=False, failed_at__isnull=True)
    smtp_cutoff = now - datetime.timedelta(days=settings.PORTO_MAIL_SMTP_IN_TRANSIT_DAYS)
    other_cutoff = now - datetime.timedelta(days=settings.PORTO_MAIL_REFRESH_WINDOW_DAYS)
    waiting = {"delivered_at__isnull": True, "failed_at__isnull": True}
    in_transit_q = Q(email__transport=TransportName.SMTP) & _alive_since(smtp_cutoff) | ~Q(
        email__transport=TransportName.SMTP
    ) & _alive_since(other_cutoff)
    in_transit = Exists(
        Recipient.objects.filter(
            in_transit_q,
            ~COUNTED_READ,
            email_id=OuterRef("latest_email_id"),
            kind=Recipient.Kind.TO,
            **waiting,
        )
    )
    has_email = Q(latest_email_id__isnull=False)
    if status == Status.READ:
        return has_email & Q(read)
    if status == Status.FAILED:
        return has_email & Q(all_failed)
    if status == Status.DELIVERED:
        return has_email & ~Q(read) & ~Q(all_failed) & Q(delivered)
    if status == Status.IN_TRANSIT:
        return has_email & ~Q(read) & ~Q(all_failed) & ~Q(delivered) & Q(in_transit)
    # Unknown: an email, and none of the above.
    return has_email & ~Q(read) & ~Q(all_failed) & ~Q(delivered) & ~Q(in_transit)


@dataclass(frozen=True)
class OverviewFilters:
    kind: str = ""
    status: str = ""
    client: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    search: str = ""


def document_overview(company: Company, filters: OverviewFilters) -> QuerySet[Document]:
    document_status = "" if filters.status in EMAIL_STATUSES else filters.status
    documents = document_selectors.document_list(
        company, kind=filters.kind, status=document_status, search=filters.search
    ).annotate(latest_email_id=latest_email_subquery())
    if filters.status in EMAIL_STATUSES:
        documents = documents.filter(email_status_filter(filters.status, timezone.now()))
    if filters.client:
        documents = documents.filter(client_id=filters.client)
    if filters.date_from:
        documents = documents.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(issue_date__lte=filters.date_to)
    return documents


def latest_badges(documents: list[Document]) -> dict[int, EmailRow]:
    """The latest email of each document on the page, with its status: two queries."""
    ids: list[int] = [d.latest_email_id for d in documents if d.latest_email_id]  # type: ignore[attr-defined]
    emails = OutgoingEmail.objects.filter(pk__in=ids).prefetch_related("recipients")
    for email in emails:
        for recipient in email.recipients.all():
            recipient.email = email
    return {row.email.document_id: row for row in email_rows(emails)}


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
        skipped = list(job.skipped)
        transaction.set_rollback(True)
    return BulkPlan(sends=sends, skipped=skipped)


def bulk_results(job: BulkJob) -> list[dict]:
    """Every document of a bulk send: sent, failed with the reason, or skipped with why."""
    results = []
    emails = job.emails.select_related("document").prefetch_related("recipients").order_by("pk")
    for email in emails:
        reasons = [r.failure_reason for r in email.recipients.all() if r.failure_reason]
        results.append(
            {
                "number": email.document.number,
                "state": email.state,
                "to": ", ".join(r.address for r in email.recipients.all()),
                "reason": " ".join(reasons) or email.last_error,
            }
        )
    for skip in job.skipped:
        results.append(
            {
                "number": skip.get("number", ""),
                "state": "skipped",
                "to": "",
                "reason": skip["reason"],
            }
        )
    return results

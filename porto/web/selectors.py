"""Reads for the pages: a document's emails, the overview with each document's latest email
status (two queries per page, whatever its rows), the bulk send's summary and what the emails
still in the outbox wait for. The send pop-up's defaults are
``porto.mail.send.defaults.send_defaults``."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.documents import selectors as document_selectors
from porto.documents.models import Document, DocumentKind
from porto.mail.models import BulkJob, OutgoingEmail, Recipient
from porto.mail.operations import OutboxWaiting, outbox_waiting
from porto.mail.reasons import reason_render
from porto.mail.requests import bulk_send
from porto.mail.selectors import EMAIL_STATUSES, document_status_q
from porto.mail.status import Badge, EmailStatus, Status
from porto.mail.status_store import document_stored_status

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


@dataclass(frozen=True)
class OverviewFilters:
    kind: str = ""
    status: str = ""
    client: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    search: str = ""
    sort: str = ""  # a key of SORTS, "-" first for the reverse order; "" for the default


# Sorting: each column's order, ascending; "-key" reverses it. Rows without a value (no client,
# no email yet) come last both ways; drafts (no issue date) count as the newest. The primary
# key breaks ties, so a page never shows a row twice or skips one. No index per column: on
# 10,000 documents of one company with 30,000 emails, a page of any sort sorts the company's
# rows found through the (company, ...) indexes in a few milliseconds; the email columns are
# the document's own (its copy of its latest email's status and date).


def kind_rank() -> Case:
    """The kinds in the order the filter lists them, not the alphabet of their codes."""
    return Case(*(When(kind=k, then=Value(i)) for i, k in enumerate(DocumentKind.values)))


def document_status_rank() -> Case:
    """Draft, then finalized, then sent: the life of a document."""
    return Case(
        When(sent_at__isnull=False, then=Value(2)),
        When(status=Document.Status.FINALIZED, then=Value(1)),
        default=Value(0),
    )


def email_status_rank(now: datetime.datetime) -> Case:
    """The latest email's badge as read at ``now`` (the filter's rule), in the order of the
    statuses: In transit, Delivered, Read, Failed, Unknown; none for a document never sent."""
    return Case(*(When(document_status_q(s, now), then=Value(i)) for i, s in enumerate(Status)))


def sort_expression(key: str, now: datetime.datetime):
    return {
        "number": F("number"),
        "kind": kind_rank(),
        "client": F("client__search_name"),
        "date": F("issue_date"),
        "amount": F("total_incl_vat"),
        "status": document_status_rank(),
        "email": email_status_rank(now),
        "email_date": F("last_email_at"),
    }[key]


SORTS = ("number", "kind", "client", "date", "amount", "status", "email", "email_date")


def sort_known(sort: str) -> str:
    """``sort`` if it names a column (optionally reversed), else "" (the default order)."""
    return sort if sort.removeprefix("-") in SORTS else ""


def sort_order(sort: str, now: datetime.datetime) -> list[OrderBy]:
    key = sort.removeprefix("-")
    descending = sort.startswith("-")
    expression = sort_expression(key, now)
    if not descending:
        return [expression.asc(nulls_last=True), F("pk").asc()]
    if key == "date":  # drafts, without an issue date, are the newest
        return [expression.desc(nulls_first=True), F("pk").desc()]
    return [expression.desc(nulls_last=True), F("pk").desc()]


# A search longer than any number, reference or name it could match is cut to this length.
MAX_SEARCH_CHARS = 200
_NOT_SEARCHABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def search_text(typed: str) -> str:
    """What the overview searches for: the typed text without control characters (PostgreSQL
    refuses a NUL in a query), at most ``MAX_SEARCH_CHARS`` long."""
    return _NOT_SEARCHABLE.sub("", typed).strip()[:MAX_SEARCH_CHARS]


def document_overview(
    company: Company, filters: OverviewFilters, now: datetime.datetime | None = None
) -> QuerySet[Document]:
    now = now or timezone.now()
    document_status = "" if filters.status in EMAIL_STATUSES else filters.status
    documents = document_selectors.document_list(
        company,
        kind=filters.kind,
        status=document_status,
        search=search_text(filters.search),
        client=filters.client or None,
        issued_from=filters.date_from,
        issued_until=filters.date_to,
    )
    if filters.status in EMAIL_STATUSES:
        documents = documents.filter(document_status_q(filters.status, now))
    if sort_known(filters.sort):
        documents = documents.order_by(*sort_order(filters.sort, now))
    return documents


def document_overview_ids(
    company: Company, filters: OverviewFilters, now: datetime.datetime | None = None
) -> list[int]:
    """Every document of ``company`` the overview lists with ``filters``, across all pages, in
    the overview's order: what "select all that match this filter" selects."""
    return list(document_overview(company, filters, now).values_list("pk", flat=True))


@dataclass
class LatestEmailBadge:
    """A row's email columns in the overview: its latest email's badge (the document's stored
    status), why its recipients failed, and when it was sent."""

    email_id: int
    created_at: datetime.datetime
    badge: Badge
    failure_reasons: list[str]

    @property
    def tip_id(self) -> str:
        """The id of the badge's tooltip (the failure reasons), as on the client page."""
        return f"email-{self.email_id}-badge-tip"


def failure_reasons(email_ids: list[int], now: datetime.datetime) -> dict[int, list[str]]:
    """Per email, the reasons of its recipients that show Failed at ``now``: one query, for
    the recipients with a failure fact only (a later open may still outrank it)."""
    recipients = Recipient.objects.filter(email_id__in=email_ids, failed_at__isnull=False)
    reasons: dict[int, list[str]] = {}
    for recipient in recipients.select_related("email").order_by("email_id", "position", "pk"):
        if recipient.status(now) == Status.FAILED:
            reasons.setdefault(recipient.email_id, []).append(
                reason_render(recipient.failure_reason)
            )
    return reasons


def latest_badges(
    documents: list[Document], now: datetime.datetime | None = None
) -> dict[int, LatestEmailBadge]:
    """The latest email of each document on the page, with its status: read from the
    documents' stored columns, plus one query for the failure reasons."""
    now = now or timezone.now()
    emailed = [(d, stored) for d in documents if (stored := document_stored_status(d))]
    reasons = failure_reasons([d.last_email_id for d, _ in emailed if d.last_email_id], now)
    return {
        d.pk: LatestEmailBadge(
            email_id=d.last_email_id or 0,
            created_at=d.last_email_at or now,
            badge=stored.badge(now),
            failure_reasons=reasons.get(d.last_email_id or 0, []),
        )
        for d, stored in emailed
    }


# Bulk send


@dataclass(frozen=True)
class PlannedSend:
    number: str
    client: str
    to: list[str]
    total: Decimal
    currency: str


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
                total=e.document.total_incl_vat,
                currency=e.document.currency,
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


# What the emails still in the outbox wait for: the bulk page, its progress JSON and the
# overview's retry notice all read it here, in the reader's language.

SHORT_REASON_CHARS = 120


@dataclass(frozen=True)
class WaitingLine:
    key: str  # sending, retrying, stalled, rate, paused or queued
    label: str
    count: int
    detail: str = ""


@dataclass(frozen=True)
class OutboxExplained:
    total: int
    lines: list[WaitingLine]
    retry_now: int  # how many Retry now would make due

    def as_json(self) -> dict:
        return {
            "total": self.total,
            "lines": [line.__dict__ for line in self.lines],
            "retry_now": self.retry_now,
        }


def outbox_explained(emails: QuerySet[OutgoingEmail], now: datetime.datetime) -> OutboxExplained:
    """Every email of ``emails`` not finished, in one line per thing they wait for; the counts
    add up to the total."""
    waiting = outbox_waiting(emails, now)
    lines = [
        WaitingLine("sending", _("Being handed to the mail server now"), waiting.sending),
        retrying_line(waiting, now),
        stalled_line(waiting, now),
        WaitingLine(
            "rate",
            _("Waiting for the sending limit"),
            waiting.rate,
            _("The last should go at about %(time)s.") % {"time": clock(waiting.rate_last_at, now)}
            if waiting.rate_last_at
            else "",
        ),
        WaitingLine(
            "paused",
            _("Sending paused"),
            waiting.paused,
            _("Sending is paused: see the message at the top of the page."),
        ),
        WaitingLine("queued", _("Queued, not started yet"), waiting.queued),
    ]
    shown = [line for line in lines if line.count]
    return OutboxExplained(total=waiting.total, lines=shown, retry_now=waiting.retry_now)


def retrying_line(waiting: OutboxWaiting, now: datetime.datetime) -> WaitingLine:
    label = _("Waiting for a retry after a delivery problem")
    if waiting.next_retry_at is None:
        return WaitingLine("retrying", label, waiting.retrying)
    if waiting.next_retry_at > now:
        when = _("Next try at %(time)s.") % {"time": clock(waiting.next_retry_at, now)}
    else:
        when = _("Being tried again now.")
    reason = Truncator(reason_render(waiting.last_reason)).chars(SHORT_REASON_CHARS)
    last = " " + _("Last problem: %(reason)s") % {"reason": reason} if reason else ""
    return WaitingLine("retrying", label, waiting.retrying, when + last)


def stalled_line(waiting: OutboxWaiting, now: datetime.datetime) -> WaitingLine:
    label = _("Held by a worker that stopped")
    if waiting.resend_by is None:
        return WaitingLine("stalled", label, waiting.stalled)
    if waiting.resend_by > now:
        detail = _("A worker stopped while sending these; they go out again by %(time)s.") % {
            "time": clock(waiting.resend_by, now)
        }
    else:
        detail = _("A worker stopped while sending these; they are queued again for another one.")
    return WaitingLine("stalled", label, waiting.stalled, detail)


def clock(moment: datetime.datetime, now: datetime.datetime) -> str:
    """HH:MM in the reader's time zone; with the date when it is not today."""
    local, today = timezone.localtime(moment), timezone.localtime(now).date()
    time = formats.time_format(local, "H:i")
    if local.date() == today:
        return time
    return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {time}"


def bulk_outbox(job: BulkJob, now: datetime.datetime) -> OutboxExplained:
    return outbox_explained(job.emails.all(), now)


def company_retry_notice(company: Company, now: datetime.datetime) -> WaitingLine | None:
    """The overview's notice after an outage: the company's emails waiting for a retry, when
    Retry now can make some of them due."""
    emails = OutgoingEmail.objects.filter(company=company)
    waiting = outbox_waiting(emails.filter(state=OutgoingEmail.State.QUEUED), now)
    if not waiting.retry_now:
        return None
    return retrying_line(waiting, now)

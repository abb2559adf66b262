"""The document's timeline: every email sent for it (newest first) with its recipients'
statuses and their details, and the document's own events. A fixed number of queries,
whatever the number of emails (prefetched)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from porto.documents.models import Document
from porto.mail.feedback.refresh.services import busy_refusal, refresh_refusal
from porto.mail.models import Attachment, OutgoingEmail, Recipient, TransportName
from porto.mail.status import Badge, Status, document_badge

STATUS_LABELS = {
    Status.IN_TRANSIT: gettext_lazy("In transit"),
    Status.DELIVERED: gettext_lazy("Delivered"),
    Status.READ: gettext_lazy("Read"),
    Status.FAILED: gettext_lazy("Failed"),
    Status.UNKNOWN: gettext_lazy("Unknown"),
}


@dataclass(frozen=True)
class RecipientLine:
    address: str
    name: str
    kind: str
    status: Status
    at: datetime.datetime | None  # when the shown status became true
    explanation: str  # the failure in plain words with the server's code, or why Unknown
    human_open_at: datetime.datetime | None
    machine_open_at: datetime.datetime | None
    deferral: str
    delivered_at: datetime.datetime | None = None
    failed_at: datetime.datetime | None = None

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class AttachmentLine:
    filename: str
    size: int
    sha256: str


@dataclass(frozen=True)
class EmailLine:
    email: OutgoingEmail
    subject: str
    file_format: str
    recipients: list[RecipientLine]
    attachments: list[AttachmentLine]
    badge: Badge
    refresh_allowed: bool
    refresh_reason: str
    refresh_error: str

    @property
    def status(self) -> Status:
        return self.badge.status

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.badge.status])


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str  # "email" or "document"
    title: str
    email: EmailLine | None = None
    detail: str = ""
    status: Status | None = None
    extra: dict = field(default_factory=dict)


def emails_of(document: Document):
    attachments = Attachment.objects.select_related("blob").defer("blob__content")
    return (
        OutgoingEmail.objects.filter(document=document)
        .select_related("company__email_settings")
        .prefetch_related(
            Prefetch("recipients", queryset=Recipient.objects.order_by("position", "pk")),
            Prefetch("attachments", queryset=attachments),
        )
        .order_by("-created_at", "-pk")
    )


def document_timeline(document: Document, now: datetime.datetime) -> list[TimelineEntry]:
    """Newest first: the emails and the document's own events."""
    entries: list[TimelineEntry] = []
    for email in emails_of(document):
        line = email_line(email, now)
        entries.append(
            TimelineEntry(
                at=email.handed_off_at or email.created_at,
                kind="email",
                title=_("Email sent") if email.handed_off_at else _("Email queued"),
                email=line,
                status=line.status,
            )
        )
        entries += status_changes(email, line)
    entries += document_events(document)
    return sorted(entries, key=lambda e: e.at, reverse=True)


def document_events(document: Document) -> list[TimelineEntry]:
    events = [TimelineEntry(document.created_at, "document", _("Created"))]
    if document.finalized_at:
        events.append(TimelineEntry(document.finalized_at, "document", _("Finalized")))
    if document.sent_at:
        events.append(TimelineEntry(document.sent_at, "document", _("Marked as sent")))
    return events


def status_changes(email: OutgoingEmail, line: EmailLine) -> list[TimelineEntry]:
    """When a recipient's delivery, failure or (human) read became known."""
    changes = []
    for recipient in line.recipients:
        for at, status in (
            (recipient.delivered_at, Status.DELIVERED),
            (recipient.failed_at, Status.FAILED),
            (recipient.human_open_at, Status.READ),
        ):
            if at is not None:
                changes.append(
                    TimelineEntry(
                        at,
                        "document",
                        f"{STATUS_LABELS[status]}: {recipient.address}",
                        status=status,
                    )
                )
    return changes


def email_line(email: OutgoingEmail, now: datetime.datetime) -> EmailLine:
    recipients = [recipient_line(email, r, now) for r in email.recipients.all()]
    to_statuses = [r.status for r in recipients if r.kind == Recipient.Kind.TO]
    reason = refresh_refusal(email, now) or busy_refusal(email, now)
    return EmailLine(
        email=email,
        subject=email.subject,
        file_format=email.get_file_format_display(),
        recipients=recipients,
        attachments=[
            AttachmentLine(a.filename, a.blob.size, a.blob_id) for a in email.attachments.all()
        ],
        badge=document_badge(to_statuses),
        refresh_allowed=not reason,
        refresh_reason=reason,
        refresh_error=email.refresh_error,
    )


def recipient_line(email: OutgoingEmail, recipient: Recipient, now) -> RecipientLine:
    recipient.email = email  # already loaded: no query for status()
    status = recipient.status(now)
    return RecipientLine(
        address=recipient.address,
        name=recipient.name,
        kind=recipient.kind,
        status=status,
        at=status_time(recipient, status),
        explanation=explanation(email, recipient, status),
        human_open_at=recipient.human_open_at,
        machine_open_at=recipient.machine_open_at,
        deferral=recipient.last_deferral_reason if status == Status.IN_TRANSIT else "",
        delivered_at=recipient.delivered_at,
        failed_at=recipient.failed_at,
    )


def status_time(recipient: Recipient, status: Status) -> datetime.datetime | None:
    return {
        Status.READ: recipient.human_open_at,
        Status.FAILED: recipient.failed_at,
        Status.DELIVERED: recipient.delivered_at,
        Status.IN_TRANSIT: recipient.last_deferred_at or recipient.accepted_at,
        Status.UNKNOWN: recipient.accepted_at,
    }[status]


def explanation(email: OutgoingEmail, recipient: Recipient, status: Status) -> str:
    if status == Status.FAILED:
        return recipient.failure_reason or _("The email could not be delivered.")
    if status == Status.UNKNOWN and email.transport == TransportName.SMTP:
        return _("Your mail server accepted it; no delivery report came back.")
    if status == Status.UNKNOWN:
        return _("The provider accepted it; no delivery report came back in time.")
    if status == Status.IN_TRANSIT and email.transport == TransportName.SMTP:
        return _("Your mail server accepted it; waiting for a delivery report.")
    return ""

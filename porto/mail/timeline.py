"""The document's timeline: every email sent for it (newest first) with its recipients'
statuses and their details, and the document's own events. A fixed number of queries,
whatever the number of emails (prefetched).

The details show every stored fact a person can act on: the failure, each delay with the
server's words, a provider holding the email (Postal's suppression list), a spam complaint,
automatic opens; why the email can or cannot become Read; and what the five statuses mean.
Reasons are stored in English and rendered here in the reader's language."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from porto.documents.models import Document
from porto.mail.breaker import email_pause
from porto.mail.feedback.classify import held_detail
from porto.mail.feedback.refresh.services import busy_refusal, refresh_refusal
from porto.mail.models import Attachment, DeliveryEvent, OutgoingEmail, Recipient, TransportName
from porto.mail.reasons import COMPLAINED, held_reason, reason_render, reason_stored
from porto.mail.status import (
    FAILURE_TYPES,
    STATUS_WORDS,
    Badge,
    EventType,
    Facts,
    ReadOutlook,
    Status,
    as_counted,
    document_badge,
    read_outlook,
)
from porto.mail.transports.base import AMBIGUOUS

# The words of the statuses have one home: porto.mail.status.STATUS_WORDS.
STATUS_LABELS = {status: words.label for status, words in STATUS_WORDS.items()}
STATUS_DEFINITIONS = {status: words.description for status, words in STATUS_WORDS.items()}

READ_OUTLOOK_SENTENCES = {
    ReadOutlook.OWN_SMTP: gettext_lazy(
        "Sent through your own mailbox (SMTP): open tracking is not available there, so this "
        "email cannot become Read."
    ),
    ReadOutlook.TRACKING_OFF: gettext_lazy(
        "“Check if the email is opened by the recipient” was off when this email was sent, so "
        "it cannot become Read."
    ),
    ReadOutlook.READ: gettext_lazy("A recipient opened it with images shown: that made it Read."),
    ReadOutlook.MACHINE_ONLY: gettext_lazy(
        "So far only an automatic open (an image proxy that fetches on delivery, or a security "
        "scanner) loaded the image: that proves delivery, not a read. It becomes Read when the "
        "recipient opens it with images shown."
    ),
    ReadOutlook.FAILED: gettext_lazy(
        "It reached no recipient whose copy carries the tracking image, so it cannot become Read."
    ),
    ReadOutlook.WAITING: gettext_lazy(
        "It becomes Read when a recipient opens it with images shown; many mail apps block "
        "images until the reader allows them."
    ),
}
NO_PIXEL_NOTE = gettext_lazy(
    "Bcc copies, your own copy included, carry no tracking image: they cannot become Read."
)
MAX_DELAYS_SHOWN = 5


@dataclass(frozen=True)
class Note:
    """One stored fact about a recipient, in words, with when it happened."""

    at: datetime.datetime | None
    text: str


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
    notes: list[Note] = field(default_factory=list)

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
    read_outlook: str = ""
    no_pixel_note: str = ""

    @property
    def status(self) -> Status:
        return self.badge.status

    @property
    def legend(self) -> list[tuple[str, str, str]]:
        """(status, label, definition) of the five statuses."""
        return [(str(s), str(STATUS_LABELS[s]), str(STATUS_DEFINITIONS[s])) for s in Status]

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
            Prefetch("recipients__events", queryset=noted_events(), to_attr="noted_events"),
            Prefetch("attachments", queryset=attachments),
        )
        .order_by("-created_at", "-pk")
    )


def noted_events():
    """The stored events the details show beyond the facts: delays and a provider's hold."""
    delays = Q(type=EventType.DEFERRED) | Q(type__in=FAILURE_TYPES, permanent=False)
    holds = Q(source="postal", type=EventType.QUEUED)
    maybe_arrived = Q(type=EventType.SENT, code=AMBIGUOUS)
    return DeliveryEvent.objects.filter(delays | holds | maybe_arrived).order_by("at", "pk")


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
    """When a recipient's delivery, failure or (counted) read became known."""
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


def counted_facts(email: OutgoingEmail, recipient: Recipient) -> Facts:
    return as_counted(recipient.facts(), track_opens=email.track_opens)


def email_line(email: OutgoingEmail, now: datetime.datetime) -> EmailLine:
    rows = list(email.recipients.all())
    recipients = [recipient_line(email, r, now) for r in rows]
    to_statuses = [r.status for r in recipients if r.kind == Recipient.Kind.TO]
    copy_statuses = [r.status for r in recipients if r.kind != Recipient.Kind.TO]
    reason = refresh_refusal(email, now) or busy_refusal(email, now)
    outlook = email_read_outlook(email, rows)
    return EmailLine(
        email=email,
        subject=email.subject,
        file_format=email.get_file_format_display(),
        recipients=recipients,
        attachments=[
            AttachmentLine(a.filename, a.blob.size, a.blob_id) for a in email.attachments.all()
        ],
        badge=document_badge(to_statuses, copy_statuses),
        refresh_allowed=not reason,
        refresh_reason=reason,
        refresh_error=reason_render(email.refresh_error),
        read_outlook=str(READ_OUTLOOK_SENTENCES[outlook]),
        no_pixel_note=str(NO_PIXEL_NOTE) if shows_no_pixel_note(outlook, rows) else "",
    )


def email_read_outlook(email: OutgoingEmail, recipients: list[Recipient]) -> ReadOutlook:
    """Why the email can or cannot become Read: from the recipients whose copy carries the
    tracking image (To and Cc; Bcc copies and the sender's own copy have none)."""
    return read_outlook(
        [counted_facts(email, r) for r in recipients if r.kind != Recipient.Kind.BCC],
        own_smtp=email.transport == TransportName.SMTP,
        track_opens=email.track_opens,
    )


def shows_no_pixel_note(outlook: ReadOutlook, recipients: list[Recipient]) -> bool:
    untracked = outlook in (ReadOutlook.OWN_SMTP, ReadOutlook.TRACKING_OFF)
    return not untracked and any(r.kind == Recipient.Kind.BCC for r in recipients)


def recipient_line(email: OutgoingEmail, recipient: Recipient, now) -> RecipientLine:
    recipient.email = email  # already loaded: no query for the status
    status = recipient.status(now)
    facts = counted_facts(email, recipient)
    holds = [held_text(d) for e in noted_events_of(recipient) if (d := held_of(e)) is not None]
    return RecipientLine(
        address=recipient.address,
        name=recipient.name,
        kind=recipient.kind,
        status=status,
        at=status_time(facts, status),
        explanation=explanation(email, recipient, status, held=holds[-1] if holds else ""),
        human_open_at=facts.human_open_at,
        machine_open_at=facts.machine_open_at,
        deferral=reason_render(recipient.last_deferral_reason)
        if status == Status.IN_TRANSIT
        else "",
        delivered_at=facts.delivered_at,
        failed_at=facts.failed_at,
        notes=recipient_notes(email, recipient),
    )


def recipient_notes(email: OutgoingEmail, recipient: Recipient) -> list[Note]:
    """Every stored fact worth acting on, oldest first."""
    events = noted_events_of(recipient)
    delays = [e for e in events if e.type != EventType.QUEUED][-MAX_DELAYS_SHOWN:]
    notes = [Note(e.at, delay_text(e)) for e in delays if not is_maybe_arrived(e)]
    notes += [Note(e.at, held_text(detail)) for e in events if (detail := held_of(e)) is not None]
    if recipient.complained_at:
        notes.append(Note(recipient.complained_at, reason_render(reason_stored(COMPLAINED))))
    if recipient.human_open_at and not email.track_opens:
        notes.append(Note(recipient.human_open_at, _("Opened, not counted: open tracking was off")))
    return sorted(
        notes, key=lambda note: note.at or datetime.datetime.min.replace(tzinfo=datetime.UTC)
    )


def noted_events_of(recipient: Recipient) -> list[DeliveryEvent]:
    return getattr(recipient, "noted_events", [])


def held_of(event: DeliveryEvent) -> str | None:
    return held_detail(event.source, event.payload or {})


def delay_text(event: DeliveryEvent) -> str:
    reason = reason_render(event.reason) if event.reason else _("no reason given")
    if event.code == AMBIGUOUS:
        return _("No answer after sending: %(reason)s") % {"reason": reason}
    return _("Delayed: %(reason)s") % {"reason": reason}


def is_maybe_arrived(event: DeliveryEvent) -> bool:
    """Porto stopped sending: the message went out without the server confirming it."""
    return event.type == EventType.SENT and event.code == AMBIGUOUS


def held_text(detail: str) -> str:
    return reason_render(held_reason(detail))


def not_accepted_yet(email: OutgoingEmail, recipient: Recipient) -> str:
    """In transit before any server took the message: say what is known, and what is next."""
    events = noted_events_of(recipient)
    if email.state == OutgoingEmail.State.SENDING:
        return _("Being handed over to the mail server right now.")
    if email.state != OutgoingEmail.State.QUEUED or email.next_attempt_at is None:
        return _("Not accepted by any mail server yet.")
    when = formats.date_format(timezone.localtime(email.next_attempt_at), "DATETIME_FORMAT")
    if email.held == OutgoingEmail.Held.PAUSED:
        return paused_text(email, when)
    if events and events[-1].code == AMBIGUOUS:
        return _(
            "May have arrived: the whole message was sent, but the server's answer never "
            "came. Porto sends it once more on %(time)s, so the client may get it twice."
        ) % {"time": when}
    return _("Not accepted by the mail server yet; the next try is on %(time)s.") % {"time": when}


def paused_text(email: OutgoingEmail, when: str) -> str:
    """A held email: its way out is paused (porto.mail.breaker), it is not failing."""
    pause = email_pause(email)
    if pause is None:
        return _("Waiting: sending is paused; the next try is on %(time)s.") % {"time": when}
    values = {"reason": reason_render(pause.reason), "time": when}
    if pause.own_server:
        return (
            _(
                "Waiting: sending is paused (%(reason)s). The next try is on %(time)s, or as soon "
                "as the email settings are saved."
            )
            % values
        )
    return _("Waiting: sending is paused (%(reason)s). The next try is on %(time)s.") % values


def status_time(facts: Facts, status: Status) -> datetime.datetime | None:
    return {
        Status.READ: facts.human_open_at,
        Status.FAILED: facts.failed_at,
        Status.DELIVERED: facts.delivered_at,
        Status.IN_TRANSIT: facts.last_deferred_at or facts.accepted_at,
        Status.UNKNOWN: facts.accepted_at,
    }[status]


def explanation(email: OutgoingEmail, recipient: Recipient, status: Status, held: str = "") -> str:
    """The one line shown on hover: why Failed, Unknown or still In transit."""
    if status == Status.FAILED:
        failure = reason_render(recipient.failure_reason)
        return failure or _("The email could not be delivered.")
    if held and status in (Status.IN_TRANSIT, Status.UNKNOWN):
        return held
    if recipient.complained_at and status in (Status.DELIVERED, Status.READ):
        return reason_render(reason_stored(COMPLAINED))
    if status in (Status.IN_TRANSIT, Status.UNKNOWN):
        if any(is_maybe_arrived(e) for e in noted_events_of(recipient)):
            return _(
                "May have arrived: the whole message was sent, but the server never confirmed "
                "it. Ask the client before sending it again."
            )
        if recipient.accepted_at is None:
            return not_accepted_yet(email, recipient)
    if status == Status.UNKNOWN and email.transport == TransportName.SMTP:
        return _("Your mail server accepted it; no delivery report came back.")
    if status == Status.UNKNOWN:
        return _("The provider accepted it; no delivery report came back in time.")
    if status == Status.IN_TRANSIT and email.transport == TransportName.SMTP:
        return _("Your mail server accepted it; waiting for a delivery report.")
    return ""

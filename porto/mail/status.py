"""The status rules: what the events of a recipient prove (facts), and the status shown.

Pure functions on plain values; nothing here reads the database or imports Porto code.
Providers send events late, twice or out of order, so facts merge order-independently:
``merge`` is commutative, associative and idempotent, and the shown status is a function of
the facts and the clock alone. Any permutation of any multiset of events gives the same status.

Precedence of the shown status: Read > Failed > Delivered > In transit > Unknown.

The clock only ever turns In transit into Unknown, at one moment (``unknown_after``). So an
email's status is stored without the clock (``email_status``: the status and that moment,
written by ``porto.mail.status_store``) and read with it (``status_at``): the overview filters
on the stored columns and shows the same badge as the timeline computes from the facts.
The words of each status (label, CSS class, description) live here too, in ``STATUS_WORDS``.
"""

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy


class EventType(StrEnum):
    """anymail's normalised vocabulary."""

    QUEUED = "queued"
    SENT = "sent"
    REJECTED = "rejected"
    FAILED = "failed"
    BOUNCED = "bounced"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    AUTORESPONDED = "autoresponded"
    OPENED = "opened"
    CLICKED = "clicked"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    SUBSCRIBED = "subscribed"
    UNKNOWN = "unknown"


# What each event is called where a person reads the event log (the proof of sending).
EVENT_TYPE_WORDS: dict[EventType, Any] = {
    EventType.QUEUED: gettext_lazy("queued"),
    EventType.SENT: gettext_lazy("accepted for delivery"),
    EventType.REJECTED: gettext_lazy("refused before sending"),
    EventType.FAILED: gettext_lazy("could not be sent"),
    EventType.BOUNCED: gettext_lazy("refused by the recipient's server"),
    EventType.DEFERRED: gettext_lazy("delayed"),
    EventType.DELIVERED: gettext_lazy("delivered"),
    EventType.AUTORESPONDED: gettext_lazy("automatic reply"),
    EventType.OPENED: gettext_lazy("opened"),
    EventType.CLICKED: gettext_lazy("link clicked"),
    EventType.COMPLAINED: gettext_lazy("marked as spam"),
    EventType.UNSUBSCRIBED: gettext_lazy("unsubscribed"),
    EventType.SUBSCRIBED: gettext_lazy("subscribed"),
    EventType.UNKNOWN: gettext_lazy("unknown event"),
}


def event_type_words(event_type: str) -> str:
    """An event's type in the reader's language; a type Porto does not know, as stored."""
    try:
        return str(EVENT_TYPE_WORDS[EventType(event_type)])
    except ValueError:
        return event_type


ACCEPTED_TYPES = {EventType.QUEUED, EventType.SENT}
FAILURE_TYPES = {EventType.REJECTED, EventType.FAILED, EventType.BOUNCED}
# Events that can only happen once the message sits in the recipient's mailbox.
DELIVERY_PROOF_TYPES = {
    EventType.DELIVERED,
    EventType.OPENED,
    EventType.CLICKED,
    EventType.COMPLAINED,
    EventType.AUTORESPONDED,
    EventType.UNSUBSCRIBED,
}


class Status(StrEnum):
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class StatusWords:
    """How a status is shown: its word, its CSS modifier and what it means."""

    label: Any  # a lazy translation
    css: str
    description: Any


# The product's own words and definitions, as its help article gives them.
STATUS_WORDS: dict[Status, StatusWords] = {
    Status.IN_TRANSIT: StatusWords(
        gettext_lazy("In transit"),
        "in_transit",
        gettext_lazy("The email is on its way and has not yet been delivered."),
    ),
    Status.DELIVERED: StatusWords(
        gettext_lazy("Delivered"),
        "delivered",
        gettext_lazy("The email was successfully delivered to the recipient's mailbox."),
    ),
    Status.READ: StatusWords(
        gettext_lazy("Read"),
        "read",
        gettext_lazy(
            "The email was opened in the recipient's mailbox, confirming its delivery and viewing."
        ),
    ),
    Status.FAILED: StatusWords(
        gettext_lazy("Failed"),
        "failed",
        gettext_lazy(
            "The email could not be delivered. More information may be available by hovering "
            "over the status."
        ),
    ),
    Status.UNKNOWN: StatusWords(
        gettext_lazy("Unknown"),
        "unknown",
        gettext_lazy("It was not possible to determine the status of the email."),
    ),
}
# The badge's flag when a To recipient failed but the badge shows another status.
SOME_FAILED = gettext_lazy("a recipient failed")


def status_choices() -> list[tuple[str, Any]]:
    """(value, label) of the five statuses, in the order of the enum."""
    return [(s.value, STATUS_WORDS[s].label) for s in Status]


@dataclass(frozen=True)
class Event:
    """One normalised observation about one recipient.

    ``permanent`` only matters for failures: a temporary one (soft bounce, 4xx) is a deferral.
    ``machine`` only matters for opens and clicks: an automatic one (image proxy, scanner)
    proves delivery but is not a read.
    """

    type: EventType
    at: datetime.datetime
    permanent: bool = True
    machine: bool = False
    # A stored reason: JSON (a code with parameters, or plain text); a dict cannot be hashed.
    reason: Any = field(default="", hash=False)
    code: str = ""


@dataclass(frozen=True)
class Failure:
    at: datetime.datetime
    code: str
    reason: Any

    def order_key(self) -> tuple[datetime.datetime, str, str]:
        return (self.at, self.code, json.dumps(self.reason, sort_keys=True))


@dataclass(frozen=True)
class Facts:
    accepted_at: datetime.datetime | None = None  # earliest
    last_deferred_at: datetime.datetime | None = None  # latest
    delivered_at: datetime.datetime | None = None  # earliest, also implied by opens etc.
    failure: Failure | None = None  # earliest hard failure (ties broken by code, reason)
    human_open_at: datetime.datetime | None = None  # earliest
    machine_open_at: datetime.datetime | None = None  # earliest
    complained_at: datetime.datetime | None = None  # earliest

    @property
    def failed_at(self) -> datetime.datetime | None:
        return self.failure.at if self.failure else None

    @property
    def is_final(self) -> bool:
        """A fact that no later event can overturn except a read: stop polling for it."""
        return self.failure is not None or self.delivered_at is not None


def _earliest(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _latest(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _earliest_failure(a: Failure | None, b: Failure) -> Failure:
    return b if a is None else min(a, b, key=Failure.order_key)


def is_hard_failure(event: Event) -> bool:
    return event.type in FAILURE_TYPES and event.permanent


def is_deferral(event: Event) -> bool:
    return event.type == EventType.DEFERRED or (event.type in FAILURE_TYPES and not event.permanent)


def merge(facts: Facts, event: Event) -> Facts:
    """The facts after ``event``. Commutative, associative and idempotent."""
    changes: dict = {}
    if event.type in ACCEPTED_TYPES:
        changes["accepted_at"] = _earliest(facts.accepted_at, event.at)
    if is_deferral(event):
        changes["last_deferred_at"] = _latest(facts.last_deferred_at, event.at)
    if is_hard_failure(event):
        failure = Failure(at=event.at, code=event.code, reason=event.reason)
        changes["failure"] = _earliest_failure(facts.failure, failure)
    if event.type in DELIVERY_PROOF_TYPES:
        changes["delivered_at"] = _earliest(facts.delivered_at, event.at)
    if event.type in {EventType.OPENED, EventType.CLICKED}:
        field = "machine_open_at" if event.machine else "human_open_at"
        changes[field] = _earliest(getattr(facts, field), event.at)
    if event.type == EventType.COMPLAINED:
        changes["complained_at"] = _earliest(facts.complained_at, event.at)
    return replace(facts, **changes) if changes else facts


def facts_from(events: Iterable[Event], start: Facts | None = None) -> Facts:
    facts = start or Facts()
    for event in events:
        facts = merge(facts, event)
    return facts


def as_counted(facts: Facts, *, track_opens: bool) -> Facts:
    """The facts as the shown status counts them.

    With open tracking off (the company's setting when the email was sent), an open that
    arrives anyway (a provider that tracked regardless, an old pixel) is kept as a fact but
    counts only as an automatic open: it proves delivery, never Read.
    """
    if track_opens or facts.human_open_at is None:
        return facts
    return replace(
        facts,
        human_open_at=None,
        machine_open_at=_earliest(facts.machine_open_at, facts.human_open_at),
    )


def final_status(facts: Facts) -> Status | None:
    """Read, Failed or Delivered when the (counted) facts prove it; None while waiting."""
    if facts.human_open_at is not None:
        return Status.READ
    if facts.failure is not None:
        return Status.FAILED
    if facts.delivered_at is not None:
        return Status.DELIVERED
    return None


def unknown_after(
    facts: Facts,
    *,
    handed_off_at: datetime.datetime | None,
    in_transit_for: datetime.timedelta,
) -> datetime.datetime | None:
    """The moment a recipient without a final fact turns from In transit into Unknown:
    ``in_transit_for`` after its latest sign of life. None while the email is still in the
    outbox (no sign of life yet): In transit until it leaves."""
    last_sign = _latest(_latest(facts.accepted_at, facts.last_deferred_at), handed_off_at)
    return None if last_sign is None else last_sign + in_transit_for


def status_at(
    status: Status, unknown_after: datetime.datetime | None, now: datetime.datetime
) -> Status:
    """A status decided without the clock, read at ``now``: the only place time matters."""
    if status == Status.IN_TRANSIT and unknown_after is not None and unknown_after <= now:
        return Status.UNKNOWN
    return status


def shown_status(
    facts: Facts,
    *,
    now: datetime.datetime,
    handed_off_at: datetime.datetime | None,
    in_transit_for: datetime.timedelta,
    track_opens: bool = True,
) -> Status:
    """The status a person sees.

    ``handed_off_at`` is when Porto handed the email to its transport (None while it is still
    in the outbox). Without a final fact the email is In transit for ``in_transit_for`` after
    the latest sign of life, then Unknown: for a provider that is the window in which it can
    still be asked; for the company's own SMTP server, a few days. ``track_opens`` is the
    email's open-tracking setting (see ``as_counted``).
    """
    final = final_status(as_counted(facts, track_opens=track_opens))
    if final is not None:
        return final
    after = unknown_after(facts, handed_off_at=handed_off_at, in_transit_for=in_transit_for)
    return status_at(Status.IN_TRANSIT, after, now)


@dataclass(frozen=True)
class Badge:
    """The document's badge for one email: its word from the To recipients, its flag from
    a failure of any recipient (``document_badge``)."""

    status: Status
    some_failed: bool = False

    @property
    def words(self) -> StatusWords:
        return STATUS_WORDS[self.status]

    @property
    def flag(self) -> Any:
        """The note beside the word when a To recipient failed ("" when there is none)."""
        return SOME_FAILED if self.some_failed and self.status != Status.FAILED else ""


def document_badge(to_statuses: Iterable[Status], copy_statuses: Iterable[Status] = ()) -> Badge:
    """The word follows the To recipients: did the document reach its client? (any Read →
    Read; all Failed → Failed; any Delivered → Delivered; else In transit / Unknown). A
    failed recipient anywhere, To, Cc or Bcc, raises the flag "a recipient failed": the
    help article promises that Failed says an email "could not be delivered", so a failed
    Cc must never hide behind a plain In transit or Delivered, nor turn a delivered
    document into Failed."""
    statuses = list(to_statuses)
    some_failed = Status.FAILED in statuses or Status.FAILED in set(copy_statuses)
    if not statuses:
        return Badge(Status.UNKNOWN, some_failed=some_failed)
    if all(s == Status.FAILED for s in statuses):
        return Badge(Status.FAILED, some_failed=True)
    for status in (Status.READ, Status.DELIVERED, Status.IN_TRANSIT):
        if status in statuses:
            return Badge(status, some_failed=some_failed)
    return Badge(Status.UNKNOWN, some_failed=some_failed)


@dataclass(frozen=True)
class EmailStatus:
    """An email's badge without the clock, as stored on the email: In transit until
    ``unknown_after`` (None: for as long as it stays in the outbox), then Unknown."""

    status: Status
    unknown_after: datetime.datetime | None = None
    some_failed: bool = False

    def badge(self, now: datetime.datetime) -> Badge:
        return Badge(status_at(self.status, self.unknown_after, now), self.some_failed)


def email_status(
    to_facts: Iterable[Facts],
    *,
    handed_off_at: datetime.datetime | None,
    in_transit_for: datetime.timedelta,
    track_opens: bool,
    copy_facts: Iterable[Facts] = (),
) -> EmailStatus:
    """The badge of ``document_badge`` over the To recipients' ``shown_status`` (and the
    Cc and Bcc recipients' failures, ``copy_facts``), for every ``now`` at once: while no
    final fact decides it, it is In transit until the last waiting To recipient turns
    Unknown. A failure is final, so the flag needs no clock."""
    facts = list(to_facts)
    finals = [final_status(as_counted(f, track_opens=track_opens)) for f in facts]
    copies = [final_status(as_counted(f, track_opens=track_opens)) for f in copy_facts]
    badge = document_badge(
        [s or Status.IN_TRANSIT for s in finals], [s for s in copies if s is not None]
    )
    if badge.status != Status.IN_TRANSIT:
        return EmailStatus(badge.status, None, badge.some_failed)
    waiting = [
        unknown_after(f, handed_off_at=handed_off_at, in_transit_for=in_transit_for)
        for f, final in zip(facts, finals, strict=True)
        if final is None
    ]
    after = None if None in waiting else max(w for w in waiting if w is not None)
    return EmailStatus(Status.IN_TRANSIT, after, badge.some_failed)


class ReadOutlook(StrEnum):
    """Why an email can or cannot become Read (shown in its details)."""

    OWN_SMTP = "own_smtp"  # the company's own mailbox: no open tracking at all
    TRACKING_OFF = "tracking_off"  # "Check if the email is opened" was off when it was sent
    READ = "read"  # a recipient's mail client loaded the image
    MACHINE_ONLY = "machine_only"  # only automatic opens (prefetch, scanner) so far
    FAILED = "failed"  # no copy with a tracking image reached anyone
    WAITING = "waiting"  # tracked, no open yet


def read_outlook(
    tracked_facts: Iterable[Facts], *, own_smtp: bool, track_opens: bool
) -> ReadOutlook:
    """The email's outlook for Read, from the facts of its recipients whose copy carries a
    tracking image (To and Cc; never Bcc or the sender's own copy)."""
    if own_smtp:
        return ReadOutlook.OWN_SMTP
    if not track_opens:
        return ReadOutlook.TRACKING_OFF
    facts = list(tracked_facts)
    if any(f.human_open_at is not None for f in facts):
        return ReadOutlook.READ
    if facts and all(f.failure is not None for f in facts):
        return ReadOutlook.FAILED
    if any(f.machine_open_at is not None for f in facts):
        return ReadOutlook.MACHINE_ONLY
    return ReadOutlook.WAITING

"""record_event(): the one writer of every recipient's status.

Every observation (the transport's answer, a provider webhook, a pixel load, a DSN, a poll
answer) is stored first in the append-only ``DeliveryEvent`` log under a unique dedupe key, so
a duplicate is dropped by the database. Then it is merged into the facts of its recipient,
found by (message id, address): the provider's message id or our own Message-ID header.
An event that matches no recipient yet (a webhook faster than our commit) is kept unlinked and
merged when the recipient's provider message id becomes known (``events_link_unlinked``).

An event only ever changes emails sent through its provider (``porto.mail.sent_through``): a
Postmark event naming the Message-ID of an email sent through the company's own server, or
through Brevo, is refused, logged and stored nowhere.

After every merge the email's stored status is decided again (``porto.mail.status_store``),
in the same transaction: the overview's filters never disagree with the facts.

``events_record`` does the same for many events at once (the webhook projection's batches):
one query finds the duplicates, one the recipients, one INSERT stores the new events, one
UPDATE per batch writes the merged facts, and each touched email's status is decided once.
The rules are the same functions (``dedupe_key``, ``recipient_choose``, ``facts_merged``), so a
batch stores exactly what the events recorded one by one, in any order, would.
"""

import datetime
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q

from porto.lib.rows import rows_update
from porto.mail.message_ids import message_id_normalise
from porto.mail.models import DeliveryEvent, Recipient
from porto.mail.sent_through import sent_through_matches, way_of_source
from porto.mail.status import Event, EventType, facts_from
from porto.mail.status_store import email_status_store, emails_status_store

logger = logging.getLogger(__name__)

# The name other modules import (sandbox, IMAP); the one home is porto.mail.message_ids.


class OtherWay(Exception):
    """The event names an email that was not sent the way its source speaks for."""


def dedupe_key(
    *, source: str, event: Event, message_id: str, recipient: str, provider_event_id: str, payload
) -> str:
    if provider_event_id:
        return f"{source}:{provider_event_id}"[:300]
    material = json.dumps(
        [
            source,
            message_id_normalise(message_id),
            recipient.lower(),
            str(event.type),
            event.at.isoformat(),
            payload or {},
        ],
        sort_keys=True,
        default=str,
    )
    return f"{source}:sha256:{hashlib.sha256(material.encode()).hexdigest()}"


def recipient_for(message_id: str, address: str, way: str = "") -> Recipient | None:
    """The recipient an event names, by (message id, address); without an address, the
    only recipient of that message id. Raises ``OtherWay`` when it names recipients only of
    emails not sent through ``way`` ("" : any way)."""
    message_id = message_id_normalise(message_id)
    if not message_id:
        return None
    matches = Recipient.objects.filter(
        Q(provider_message_id=message_id) | Q(email__message_id=message_id)
    ).select_related("email")
    if address:
        matches = matches.filter(address__iexact=address.strip())
    return recipient_choose(message_id, list(matches[:3]), way, by_address=bool(address))


def recipient_choose(
    message_id: str, found: list[Recipient], way: str, *, by_address: bool
) -> Recipient | None:
    """The rule of ``recipient_for`` over the (at most three) recipients found, in their
    order: the first one sent through ``way`` when the event names an address, else the only
    one. ``OtherWay`` when some were found but none was sent through ``way``."""
    allowed = [r for r in found if sent_through_matches(r.email, way)]
    if found and not allowed:
        raise OtherWay(message_id)
    if by_address:
        return allowed[0] if allowed else None
    return allowed[0] if len(allowed) == 1 else None


def record_event(
    *,
    source: str,
    event: Event,
    message_id: str = "",
    recipient: str = "",
    provider_event_id: str = "",
    payload: dict | None = None,
    provider: str | None = None,
) -> DeliveryEvent | None:
    """Store ``event`` once and merge it into its recipient's facts; None for a duplicate and
    for an event about an email sent another way than through ``provider`` (by default the
    way ``source`` speaks for: "postmark-api" is Postmark)."""
    way = way_of_source(source) if provider is None else provider
    key = dedupe_key(
        source=source,
        event=event,
        message_id=message_id,
        recipient=recipient,
        provider_event_id=provider_event_id,
        payload=payload,
    )
    with transaction.atomic():
        if DeliveryEvent.objects.filter(dedupe_key=key).exists():
            return None
        try:
            target = recipient_for(message_id, recipient, way)
        except OtherWay:
            logger.warning(
                "Refused a %s event (%s) for message %r: that email was not sent through %s.",
                source,
                event.type,
                message_id_normalise(message_id),
                way,
            )
            return None
        try:
            with transaction.atomic():
                stored = DeliveryEvent.objects.create(
                    source=source,
                    type=str(event.type),
                    at=event.at,
                    permanent=event.permanent,
                    machine=event.machine,
                    reason=event.reason,
                    code=event.code,
                    message_id=message_id_normalise(message_id),
                    recipient_address=recipient.strip(),
                    provider_event_id=provider_event_id,
                    dedupe_key=key,
                    payload=payload or {},
                    recipient=target,
                )
        except IntegrityError:  # the same event, stored a moment ago by someone else
            return None
        if target is not None:
            apply_events(target.pk, [event])
    return stored


def apply_events(recipient_id: int, events: list[Event]) -> Recipient:
    """Merge ``events`` into the recipient's facts (row locked: merges never interleave), then
    store the email's status."""
    recipient = Recipient.objects.select_for_update().get(pk=recipient_id)
    changed = facts_merged(recipient, events)
    if changed:
        recipient.save(update_fields=changed)
    email_status_store(recipient.email_id)
    return recipient


def facts_merged(recipient: Recipient, events: Iterable[Event]) -> list[str]:
    """Merge ``events`` into ``recipient`` (in memory); the names of the columns that changed.

    The deferral reason kept is the one of the latest temporary problem by its time (ties:
    the greater reason), not of the last one processed, so it does not depend on the order
    the events arrive in."""
    events = list(events)
    before = recipient.last_deferred_at
    changed = recipient.set_facts(facts_from(events, recipient.facts()))
    reason = latest_deferral_reason(events, before, recipient.last_deferral_reason)
    if reason != recipient.last_deferral_reason:
        recipient.last_deferral_reason = reason
        changed.append("last_deferral_reason")
    return changed


def latest_deferral_reason(
    events: Iterable[Event], stored_at: datetime.datetime | None, stored_reason: object
) -> object:
    """The reason of the latest temporary problem among ``events`` and the stored one (at
    ``stored_at``, the recipient's latest deferral); the stored reason when none is later."""
    best = (stored_at, _reason_order(stored_reason)) if stored_at else None
    chosen = stored_reason
    for event in events:
        if not event.reason or event.permanent:  # only temporary problems carry one
            continue
        candidate = (event.at, _reason_order(event.reason))
        if best is None or candidate > best:
            best, chosen = candidate, event.reason
    return chosen


def _reason_order(reason: object) -> str:
    return json.dumps(reason, sort_keys=True, default=str)


def event_from_row(row: DeliveryEvent) -> Event:
    return Event(
        type=EventType(row.type),
        at=row.at,
        permanent=row.permanent,
        machine=row.machine,
        reason=row.reason,
        code=row.code,
    )


def events_link_unlinked(recipients: list[Recipient]) -> int:
    """Link and merge stored events that arrived before their recipient could be found."""
    linked = 0
    for recipient in recipients:
        ids = [recipient.email.message_id] + (
            [recipient.provider_message_id] if recipient.provider_message_id else []
        )
        with transaction.atomic():
            rows = [
                row
                for row in DeliveryEvent.objects.select_for_update().filter(
                    recipient__isnull=True,
                    message_id__in=ids,
                    recipient_address__iexact=recipient.address,
                )
                if sent_through_matches(recipient.email, way_of_source(row.source))
            ]
            if not rows:
                continue
            DeliveryEvent.objects.filter(pk__in=[r.pk for r in rows]).update(recipient=recipient)
            apply_events(recipient.pk, [event_from_row(r) for r in rows])
            linked += len(rows)
    return linked


# --- Many events at once (the webhook projection's batches) -------------------------------

CHUNK = 500  # values per IN (...) list: far below SQLite's and PostgreSQL's limits
# What matching an event to its recipient reads (``recipient_choose``, ``sent_through_matches``):
# not the emails' bodies.
MATCH_FIELDS = (
    "address",
    "provider_message_id",
    "email__message_id",
    "email__sent_through",
    "email__transport",
)
T = TypeVar("T")


class Observation(Protocol):
    """One event to record, as ``record_event`` takes it (a ``ClassifiedEvent``)."""

    @property
    def source(self) -> str: ...
    @property
    def event(self) -> Event: ...
    @property
    def message_id(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def provider_event_id(self) -> str: ...
    @property
    def payload(self) -> dict: ...


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def observation_key(item: Observation) -> str:
    return dedupe_key(
        source=item.source,
        event=item.event,
        message_id=item.message_id,
        recipient=item.recipient,
        provider_event_id=item.provider_event_id,
        payload=item.payload,
    )


def events_record(items: Sequence[Observation]) -> list[DeliveryEvent | None]:
    """``record_event`` for each of ``items``, in one transaction and a few statements: the
    stored event of each, None for a duplicate (in the log or earlier in ``items``) and for
    an event about an email sent another way. Raises ``IntegrityError`` when someone else
    stored one of the events meanwhile: the caller records them one by one instead."""
    keys = [observation_key(item) for item in items]
    known = _keys_stored(keys)
    candidates = _recipients_named(items)
    rows: list[DeliveryEvent | None] = []
    for item, key in zip(items, keys, strict=True):
        new = key not in known
        known.add(key)
        rows.append(_event_row(item, key, candidates) if new else None)
    with transaction.atomic():
        DeliveryEvent.objects.bulk_create([row for row in rows if row is not None])
        _apply_many(
            (row.recipient_id, item.event)
            for row, item in zip(rows, items, strict=True)
            if row is not None and row.recipient_id is not None
        )
    return rows


def _keys_stored(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(keys))):
        found.update(
            DeliveryEvent.objects.filter(dedupe_key__in=chunk).values_list("dedupe_key", flat=True)
        )
    return found


def _recipients_named(items: Sequence[Observation]) -> dict[str, list[Recipient]]:
    """The recipients of every message id the items name, by that id, in ``recipient_for``'s
    order (the model's ordering)."""
    ids = sorted({i for item in items if (i := message_id_normalise(item.message_id))})
    named: dict[str, list[Recipient]] = defaultdict(list)
    for chunk in _chunks(ids):
        wanted = set(chunk)
        query = (
            Recipient.objects.filter(
                Q(provider_message_id__in=chunk) | Q(email__message_id__in=chunk)
            )
            .select_related("email")
            .only(*MATCH_FIELDS)
        )
        for recipient in query:
            for message_id in {recipient.provider_message_id, recipient.email.message_id}:
                if message_id in wanted:
                    named[message_id].append(recipient)
    return named


def _event_row(
    item: Observation, key: str, candidates: dict[str, list[Recipient]]
) -> DeliveryEvent | None:
    """The row to store for ``item`` (its recipient found by ``recipient_for``'s rule), or
    None when it names an email sent another way."""
    message_id = message_id_normalise(item.message_id)
    address = item.recipient.strip()
    found = candidates.get(message_id, [])
    if address:
        found = [r for r in found if r.address.lower() == address.lower()]
    way = way_of_source(item.source)
    try:
        target = recipient_choose(message_id, found[:3], way, by_address=bool(address))
    except OtherWay:
        logger.warning(
            "Refused a %s event (%s) for message %r: that email was not sent through %s.",
            item.source,
            item.event.type,
            message_id,
            way,
        )
        return None
    return event_row(item, key, message_id, address, target)


def event_row(
    item: "Observation | KnownEvent",
    key: str,
    message_id: str,
    address: str,
    recipient: Recipient | None,
) -> DeliveryEvent:
    """The one way an event becomes its log row, whichever batch path records it."""
    event = item.event
    return DeliveryEvent(
        source=item.source,
        type=str(event.type),
        at=event.at,
        permanent=event.permanent,
        machine=event.machine,
        reason=event.reason,
        code=event.code,
        message_id=message_id,
        recipient_address=address,
        provider_event_id=item.provider_event_id,
        dedupe_key=key,
        payload=item.payload or {},
        recipient=recipient,
    )


def _apply_many(events: Iterable[tuple[int, Event]]) -> None:
    """Merge the new events, (recipient id, event), into their recipients' facts (rows locked
    in id order, so two batches never wait on each other in a circle), write what changed in
    one statement, then decide the status of each email whose facts changed, once."""
    events_of: dict[int, list[Event]] = defaultdict(list)
    for recipient_id, event in events:
        events_of[recipient_id].append(event)
    changed: list[Recipient] = []
    fields: set[str] = set()
    for chunk in _chunks(sorted(events_of)):
        locked = Recipient.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
        for recipient in locked:
            names = facts_merged(recipient, events_of[recipient.pk])
            if names:
                changed.append(recipient)
                fields.update(names)
    if changed:
        rows_update(Recipient, changed, sorted(fields))
    emails_status_store(r.email_id for r in changed)


# --- Many events at once: the outbox's answers for a batch of emails ---------------------


@dataclass(frozen=True)
class KnownEvent:
    """An event about a recipient the caller already holds (the outbox's own answers): no
    lookup by message id is needed."""

    source: str
    event: Event
    recipient: Recipient  # with its ``email`` loaded
    provider_event_id: str
    payload: dict


def record_events_bulk(items: list[KnownEvent]) -> list[DeliveryEvent]:
    """``record_event`` for many events of known recipients, with a fixed number of statements:
    one read of the keys already stored, one INSERT, the recipients locked in one SELECT and
    written in one UPDATE; then each email's status is stored once. Call it inside the
    caller's transaction. The stored rows, duplicates and events of another way left out."""
    fresh = _fresh_events(items)
    if not fresh:
        return []
    try:
        with transaction.atomic():
            stored = DeliveryEvent.objects.bulk_create([row for row, _item in fresh])
    except IntegrityError:  # someone stored one of them a moment ago: one at a time then
        return _record_one_by_one([item for _row, item in fresh])
    _apply_bulk([item for _row, item in fresh])
    return stored


def _fresh_events(items: list[KnownEvent]) -> list[tuple[DeliveryEvent, KnownEvent]]:
    keyed: dict[str, KnownEvent] = {}
    for item in items:
        if not sent_through_matches(item.recipient.email, way_of_source(item.source)):
            logger.warning("Refused a %s event for %s: not sent that way.", item.source, item)
            continue
        keyed.setdefault(_known_key(item), item)
    stored = set(
        DeliveryEvent.objects.filter(dedupe_key__in=list(keyed)).values_list(
            "dedupe_key", flat=True
        )
    )
    return [(_known_event_row(key, item), item) for key, item in keyed.items() if key not in stored]


def _known_key(item: KnownEvent) -> str:
    return dedupe_key(
        source=item.source,
        event=item.event,
        message_id=item.recipient.email.message_id,
        recipient=item.recipient.address,
        provider_event_id=item.provider_event_id,
        payload=item.payload,
    )


def _known_event_row(key: str, item: KnownEvent) -> DeliveryEvent:
    message_id = message_id_normalise(item.recipient.email.message_id)
    return event_row(item, key, message_id, item.recipient.address.strip(), item.recipient)


def _record_one_by_one(items: list[KnownEvent]) -> list[DeliveryEvent]:
    stored = [
        record_event(
            source=item.source,
            event=item.event,
            message_id=item.recipient.email.message_id,
            recipient=item.recipient.address,
            provider_event_id=item.provider_event_id,
            payload=item.payload,
        )
        for item in items
    ]
    return [row for row in stored if row is not None]


def _apply_bulk(items: list[KnownEvent]) -> None:
    """``apply_events`` for many recipients: rows locked at once, merged by the one rule
    (``facts_merged``), written in one statement; then every email's status is stored once
    (the hand-off itself may have changed it, whatever the facts did)."""
    events: dict[int, list[Event]] = defaultdict(list)
    for item in items:
        events[item.recipient.pk].append(item.event)
    locked = Recipient.objects.select_for_update().filter(pk__in=list(events)).order_by("pk")
    changed_rows, changed_fields = [], set()
    for recipient in locked:
        changed = facts_merged(recipient, events[recipient.pk])
        if changed:
            changed_rows.append(recipient)
            changed_fields.update(changed)
    if changed_rows:
        rows_update(Recipient, changed_rows, sorted(changed_fields))
    emails_status_store(dict.fromkeys(item.recipient.email_id for item in items))

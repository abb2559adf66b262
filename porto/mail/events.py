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
"""

import hashlib
import json
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from porto.mail.message_ids import message_id_normalise
from porto.mail.models import DeliveryEvent, Recipient
from porto.mail.sent_through import sent_through_matches, way_of_source
from porto.mail.status import Event, EventType, merge
from porto.mail.status_store import email_status_store

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
    found = list(matches[:3])
    allowed = [r for r in found if sent_through_matches(r.email, way)]
    if found and not allowed:
        raise OtherWay(message_id)
    if address:
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
    facts = recipient.facts()
    for event in events:
        facts = merge(facts, event)
    changed = recipient.set_facts(facts)
    deferral = next((e.reason for e in reversed(events) if e.reason and not e.permanent), "")
    if deferral:
        recipient.last_deferral_reason = deferral
        changed.append("last_deferral_reason")
    if changed:
        recipient.save(update_fields=changed)
    email_status_store(recipient.email_id)
    return recipient


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
    return [(_event_row(key, item), item) for key, item in keyed.items() if key not in stored]


def _known_key(item: KnownEvent) -> str:
    return dedupe_key(
        source=item.source,
        event=item.event,
        message_id=item.recipient.email.message_id,
        recipient=item.recipient.address,
        provider_event_id=item.provider_event_id,
        payload=item.payload,
    )


def _event_row(key: str, item: KnownEvent) -> DeliveryEvent:
    event = item.event
    return DeliveryEvent(
        source=item.source,
        type=str(event.type),
        at=event.at,
        permanent=event.permanent,
        machine=event.machine,
        reason=event.reason,
        code=event.code,
        message_id=message_id_normalise(item.recipient.email.message_id),
        recipient_address=item.recipient.address.strip(),
        provider_event_id=item.provider_event_id,
        dedupe_key=key,
        payload=item.payload or {},
        recipient=item.recipient,
    )


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
    """``apply_events`` for many recipients: rows locked at once, merged, written at once."""
    events: dict[int, list[Event]] = {}
    for item in items:
        events.setdefault(item.recipient.pk, []).append(item.event)
    locked = Recipient.objects.select_for_update().filter(pk__in=list(events)).order_by("pk")
    changed_rows, changed_fields = [], set()
    for recipient in locked:
        changed = facts_merge_into(recipient, events[recipient.pk])
        if changed:
            changed_rows.append(recipient)
            changed_fields.update(changed)
    if changed_rows:
        Recipient.objects.bulk_update(changed_rows, sorted(changed_fields))
    for email_id in dict.fromkeys(item.recipient.email_id for item in items):
        email_status_store(email_id)


def facts_merge_into(recipient: Recipient, events: list[Event]) -> list[str]:
    """Merge ``events`` into the recipient's facts (and its latest deferral reason) in
    memory; the names of the columns that changed. The rule of ``apply_events``."""
    facts = recipient.facts()
    for event in events:
        facts = merge(facts, event)
    changed = recipient.set_facts(facts)
    deferral = next((e.reason for e in reversed(events) if e.reason and not e.permanent), "")
    if deferral:
        recipient.last_deferral_reason = deferral
        changed.append("last_deferral_reason")
    return changed

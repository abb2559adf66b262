"""The algorithm that turns one anymail tracking event into Porto events.

anymail normalises every provider's webhook into an ``AnymailTrackingEvent``; its
``event_type`` alone is not enough (soft bounces arrive as ``bounced``, machine opens as
``opened``, some events as ``unknown``). A provider's parser
(``porto/mail/providers/<name>/webhook.py``) reads the raw ``esp_event`` through small hooks
and translation tables; this base owns the rest: the time, the ids, the plain-words reason,
the human-or-machine open, and the dedupe key.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from anymail.signals import AnymailTrackingEvent
from anymail.webhooks.base import AnymailCoreWebhookView
from django.http import QueryDict
from django.utils.translation import gettext as _

from porto.mail.feedback.pixel import classify_open
from porto.mail.message_ids import message_id_normalise
from porto.mail.reasons import COMPLAINED, Refusal, failure_describe, reason_stored
from porto.mail.status import FAILURE_TYPES, Event, EventType

# Events that say nothing about whether this email reached this recipient.
IGNORED_TYPES = {EventType.UNKNOWN, EventType.SUBSCRIBED}
_MAX_KEY_LENGTH = 191  # fits a unique index on every database


class ClassificationError(ValueError):
    """A provider event Porto cannot read: answer 4xx, record nothing."""


@dataclass(frozen=True)
class ClassifiedEvent:
    """One normalised event, ready for ``record_event(source=..., provider_event_id=...)``.

    ``provider_event_id`` is what makes the event unique within its source: the provider's
    event id plus the recipient (one Amazon SES notification covers several recipients), or
    a SHA-256 of the event where the provider has no id. ``dedupe_key`` is
    ``"<source>:<provider_event_id>"``.
    """

    source: str
    event: Event
    message_id: str
    recipient: str
    provider_event_id: str
    payload: dict[str, Any] = field(compare=False)

    @property
    def dedupe_key(self) -> str:
        return f"{self.source}:{self.provider_event_id}"


@dataclass(frozen=True)
class Kind:
    """What a raw provider event means: ``type`` None drops it."""

    type: EventType | None
    permanent: bool = True
    machine: str = ""  # who opened automatically, when the provider says so


def json_safe(esp_event: object) -> dict[str, Any]:
    """The raw provider event as a JSON object (form posts become lists of values)."""
    if isinstance(esp_event, QueryDict):
        return {key: values for key, values in esp_event.lists()}
    if not isinstance(esp_event, Mapping):
        raise ClassificationError("The provider event is not a JSON object.")
    return json.loads(json.dumps(esp_event, default=str))


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def provider_event_id(
    source: str, event_id: str, message_id: str, recipient: str, type_: str, at: str, payload: dict
) -> str:
    """The provider's event id where it has one (per recipient), else a hash of the event."""
    if event_id and len(f"{source}:{event_id}:{recipient}") <= _MAX_KEY_LENGTH:
        return f"{event_id}:{recipient}"
    material = canonical_json([source, event_id, message_id, recipient, type_, at, payload])
    return f"sha256:{hashlib.sha256(material.encode('utf-8')).hexdigest()}"


def _event_type(value: object) -> EventType:
    try:
        return EventType(str(value))
    except ValueError:  # "inbound", "inbound_failed", or anything new
        return EventType.UNKNOWN


def _refusal(kind: Kind) -> Refusal:
    if kind.type == EventType.DEFERRED or not kind.permanent:
        return Refusal.DELAY
    return {
        EventType.REJECTED: Refusal.REJECTION,
        EventType.FAILED: Refusal.FAILURE,
    }.get(kind.type, Refusal.BOUNCE)  # type: ignore[arg-type]


def _as_utc(value: object) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class WebhookParser:
    """Subclasses set the tables, and override hooks only for quirks."""

    view_class: ClassVar[type[AnymailCoreWebhookView]]  # anymail's tracking webhook view
    kinds: ClassVar[Mapping[str, Kind]] = {}  # raw event name -> meaning, over anymail's type

    def __init__(self, name: str, label: str) -> None:
        self.name = name  # Porto's name, the event ``source``: "postmark"
        self.label = label  # as people write it: "Postmark"

    # --- hooks ------------------------------------------------------------------------------

    def parseable_body(self, body: bytes) -> bytes:
        """The body anymail's parser is given: the stored one, but for the provider's quirks."""
        return body

    def nested_json(self, value: Any) -> list[tuple[str, str]]:
        """(name, text) of texts inside a JSON body that hold JSON: checked like the body."""
        return []

    def detail(self, esp_event: Any) -> Mapping[str, Any]:
        """The part of the raw event that describes it (some providers wrap it)."""
        return esp_event if isinstance(esp_event, Mapping) else {}

    def raw_kind(self, detail: Mapping[str, Any]) -> str:
        """The key into ``kinds``; "" when the provider's own name adds nothing."""
        return ""

    def applies(self, tracking: AnymailTrackingEvent, detail: Mapping[str, Any]) -> bool:
        return True

    def server_text(self, tracking: AnymailTrackingEvent, detail: Mapping[str, Any]) -> str:
        return str(tracking.mta_response or tracking.description or "")

    def codes(self, detail: Mapping[str, Any]) -> tuple[object, object]:
        """Structured (basic, enhanced) SMTP codes, when the provider gives them."""
        return None, None

    def opener(self, tracking: AnymailTrackingEvent, detail: Mapping[str, Any]) -> tuple[str, str]:
        """(user agent, IP address) of an open or click, when the provider gives them."""
        return str(tracking.user_agent or ""), ""

    def bot(self, detail: Mapping[str, Any]) -> str:
        """Who opened automatically, when the provider flags the open; "" otherwise."""
        return ""

    def fallback_time(self, detail: Mapping[str, Any]) -> dt.datetime | None:
        return None

    # --- the algorithm ----------------------------------------------------------------------

    def classify(self, tracking: AnymailTrackingEvent) -> list[ClassifiedEvent]:
        detail = self.detail(tracking.esp_event)
        kind = self.kinds.get(self.raw_kind(detail)) or Kind(_event_type(tracking.event_type))
        if kind.type is None or kind.type in IGNORED_TYPES or not self.applies(tracking, detail):
            return []
        at = self._time(tracking, detail)
        message_id = self._message_id(tracking)
        event = self._event(kind, at, tracking, detail)
        return [self._classified(event, tracking, message_id)]

    def _time(self, tracking: AnymailTrackingEvent, detail: Mapping[str, Any]) -> dt.datetime:
        at = _as_utc(tracking.timestamp) or _as_utc(self.fallback_time(detail))
        if at is None:
            raise ClassificationError(
                f"The {self.label} event has no time: it cannot be placed on the timeline."
            )
        return at

    def _message_id(self, tracking: AnymailTrackingEvent) -> str:
        message_id = message_id_normalise(tracking.message_id)
        if not message_id:
            raise ClassificationError(
                f"The {self.label} event names no message: it cannot be matched to an email."
            )
        return message_id

    def _event(
        self, kind: Kind, at: dt.datetime, tracking: AnymailTrackingEvent, detail: Mapping
    ) -> Event:
        assert kind.type is not None
        reason: Any = ""  # a stored reason (porto.mail.reasons)
        code, machine = "", False
        if kind.type in FAILURE_TYPES or kind.type == EventType.DEFERRED:
            basic, enhanced = self.codes(detail)
            reason, code = failure_describe(
                self.server_text(tracking, detail),
                refusal=_refusal(kind),
                reject_reason=tracking.reject_reason,
                basic_code=basic,
                enhanced_code=enhanced,
            )
        elif kind.type in (EventType.OPENED, EventType.CLICKED):
            machine, reason = self._open(kind, tracking, detail)
        elif kind.type == EventType.COMPLAINED:
            reason = reason_stored(COMPLAINED)
        return Event(kind.type, at, kind.permanent, machine, reason, code)

    def _open(
        self, kind: Kind, tracking: AnymailTrackingEvent, detail: Mapping
    ) -> tuple[bool, str]:
        who = kind.machine or self.bot(detail)
        if who:
            return True, _("opened automatically by %(who)s") % {"who": _(who)}
        user_agent, ip = self.opener(tracking, detail)
        if not user_agent:
            return False, ""  # the provider does not say who opened: take it as a person
        open_kind = classify_open(user_agent, ip, None)
        return open_kind.machine, open_kind.reason

    def _classified(
        self, event: Event, tracking: AnymailTrackingEvent, message_id: str
    ) -> ClassifiedEvent:
        payload = json_safe(tracking.esp_event)
        recipient = str(tracking.recipient or "").strip()
        event_key = provider_event_id(
            self.name,
            str(tracking.event_id or ""),
            message_id,
            recipient.lower(),
            str(tracking.event_type),
            event.at.isoformat(),
            payload,
        )
        return ClassifiedEvent(self.name, event, message_id, recipient, event_key, payload)

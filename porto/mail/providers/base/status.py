"""Update status: ask a provider what happened to an email, and read its answer.

A provider's status client (``porto/mail/providers/<name>/status.py``) says how to ask and
what the provider's words mean; this base owns the rest: the HTTP seam, the rate limit, the
time, the reason and the dedupe key of every event. Every HTTP request goes through
``StatusClient.request`` on one ``requests.Session`` (tests pass a fake one). The answers are
recorded by the caller's ``Recorder`` (``porto.mail.feedback.refresh``): this layer reads
no rows and writes none.
"""

import datetime
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests
from django.utils.translation import gettext_noop as N_

from porto.lib.messages import message_params, message_text
from porto.mail.reasons import Refusal, failure_describe
from porto.mail.status import FAILURE_TYPES, Event, EventType

TIMEOUT = 15  # seconds per HTTP request
MAX_WINDOW = datetime.timedelta(days=25)
MARGIN = datetime.timedelta(days=1)

StrOrPromise = Any


class RefreshRefusal(str):
    """Why Update status cannot run now (a plain string where a page shows it), with the
    rule's stable code (the API's) and, for the cooldown, the seconds to wait."""

    code: str
    retry_after: int | None

    def __new__(cls, message: str, code: str, retry_after: int | None = None) -> "RefreshRefusal":
        refusal = super().__new__(cls, message)
        refusal.code = code
        refusal.retry_after = retry_after
        return refusal


class RefreshRefused(Exception):
    """Update status cannot run now; the message says why (shown to the user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.code: str = getattr(message, "code", "refresh_refused")
        self.retry_after: int | None = getattr(message, "retry_after", None)


class RefreshFailed(Exception):
    """The provider could not be asked (network, credentials, an answer we cannot read).

    ``message`` is in the active language; ``msgid`` and ``params``, when set, let the failure
    be stored and said later in the reader's language (``refresh_failed`` sets them)."""

    def __init__(
        self, message: str, *, msgid: str = "", params: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.msgid = msgid
        self.params = dict(params or {})


def refresh_failed(msgid: str, params: Mapping[str, object]) -> RefreshFailed:
    """A ``RefreshFailed`` worded by ``msgid`` (marked with ``N_``) and its parameters."""
    plain = message_params(params)
    return RefreshFailed(message_text(msgid, plain), msgid=msgid, params=plain)


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float

    @property
    def interval(self) -> float:
        return self.per_seconds / self.requests


@dataclass(frozen=True)
class Policy:
    """How long a way of sending can be asked about a message, and how fast.

    window = min(retention - margin, 25 days): past it the provider's log has forgotten the
    message. ``has_api`` False: Update status is refused with ``no_api_reason``."""

    name: str
    label: StrOrPromise
    retention_days: int  # 0: the provider keeps no event log Porto can read
    rate: RateLimit
    has_api: bool = True
    no_api_reason: StrOrPromise = ""

    @property
    def window(self) -> datetime.timedelta:
        if self.retention_days <= 0:
            return datetime.timedelta(0)
        return min(datetime.timedelta(days=self.retention_days) - MARGIN, MAX_WINDOW)


@dataclass(frozen=True)
class Observation:
    """One event the provider reported, ready for ``record_event``."""

    recipient: str
    event: Event
    provider_event_id: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False)
    message_id: str = ""  # the id the provider knows the message by


@dataclass(frozen=True)
class Lookup:
    """What to ask about: one provider message id and the addresses it covers."""

    message_id: str
    addresses: tuple[str, ...]
    our_message_id: str = ""
    from_address: str = ""


@dataclass(frozen=True)
class Meaning:
    """What a provider's word for an event means: ``machine`` names who opened automatically."""

    type: EventType
    permanent: bool = True
    machine: str = ""


# Records observations under a source ("postmark-api"); how many were new.
Recorder = Callable[[str, Iterable[Observation]], int]


class RateLimiter:
    """At most ``rate.requests`` per ``rate.per_seconds`` in this process: waits between calls."""

    def __init__(
        self,
        rate: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> float:
        with self.lock:
            now = self.clock()
            delay = max(0.0, self.next_at - now)
            self.next_at = max(now, self.next_at) + self.rate.interval
        if delay:
            self.sleep(delay)
        return delay


_limiters: dict[str, RateLimiter] = {}


def limiter_for(policy: Policy) -> RateLimiter:
    if policy.name not in _limiters:
        _limiters[policy.name] = RateLimiter(policy.rate)
    return _limiters[policy.name]


class StatusClient:
    """One per way of sending. Subclasses implement ``observe``."""

    def __init__(
        self,
        policy: Policy,
        recorder: Recorder,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.policy = policy
        self.name = policy.name
        self.recorder = recorder
        self.session = session or requests.Session()
        self.limiter = limiter or limiter_for(policy)

    @property
    def source(self) -> str:
        return f"{self.name}-api"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        raise NotImplementedError

    def refresh(self, email, lookups: list[Lookup], now: datetime.datetime) -> int:
        """Ask about every lookup and record the answers; how many events were new."""
        return sum(self.recorder(self.source, self.observe(lookup, now)) for lookup in lookups)

    # --- the one HTTP seam -------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs) -> Any:
        self.limiter.wait()
        label = self.policy.label
        try:
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as error:
            raise refresh_failed(
                N_("%(provider)s could not be reached (%(error)s); try again later."),
                {"provider": label, "error": type(error).__name__},
            ) from error
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise refresh_failed(
                N_(
                    "%(provider)s refused Porto's API key (HTTP %(code)d): the key in the server "
                    "settings must be fixed."
                ),
                {"provider": label, "code": response.status_code},
            )
        if response.status_code == 429 or response.status_code >= 400:
            raise refresh_failed(
                N_("%(provider)s answered HTTP %(code)d; try again later."),
                {"provider": label, "code": response.status_code},
            )
        try:
            return response.json()
        except ValueError as error:
            raise refresh_failed(
                N_("%(provider)s answered something that is not JSON."), {"provider": label}
            ) from error

    # --- helpers for subclasses ---------------------------------------------------------------

    def failure(
        self, type_: EventType, at: datetime.datetime, text: object, *, permanent: bool, **codes
    ) -> Event:
        refusal = Refusal.BOUNCE if permanent else Refusal.DELAY
        reason, code = failure_describe(text, refusal=refusal, **codes)
        return Event(type_, at, permanent=permanent, reason=reason, code=code)


class EventLogClient(StatusClient):
    """A provider whose answer lists the message's events: one request per lookup, one
    observation per listed event. Subclasses ask, and say where each piece of an event is;
    ``meanings`` translates the provider's words (``raw_kind``) into events."""

    time_key: ClassVar[str]  # the event's time: ISO 8601 or Unix seconds
    meanings: ClassVar[Mapping[str, Meaning]]

    # --- hooks ------------------------------------------------------------------------------

    def ask(self, lookup: Lookup, now: datetime.datetime) -> Any:
        """The provider's answer about ``lookup`` (None: it does not know the message)."""
        raise NotImplementedError

    def raw_events(self, answer: Any) -> list[dict]:
        raise NotImplementedError

    def raw_kind(self, raw: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def recipient(self, lookup: Lookup, answer: Any, raw: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def event_key(self, lookup: Lookup, raw: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def message_id(self, lookup: Lookup, raw: Mapping[str, Any]) -> str:
        return lookup.message_id

    def server_text(self, raw: Mapping[str, Any]) -> object:
        return ""

    def codes(self, raw: Mapping[str, Any]) -> dict[str, object]:
        """Structured SMTP codes for ``failure_describe`` (``basic_code``, ``enhanced_code``)."""
        return {}

    def machine(self, meaning: Meaning, raw: Mapping[str, Any]) -> tuple[bool, str]:
        """Was an open or click automatic, and who did it (stored as the reason)."""
        return bool(meaning.machine), meaning.machine

    # --- the algorithm ----------------------------------------------------------------------

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        answer = self.ask(lookup, now)
        if not answer:
            return []
        return [
            found
            for raw in self.raw_events(answer)
            if (found := self.observation(lookup, answer, raw)) is not None
        ]

    def observation(self, lookup: Lookup, answer: Any, raw: dict) -> Observation | None:
        at = parse_time(raw.get(self.time_key))
        meaning = self.meanings.get(self.raw_kind(raw))
        if at is None or meaning is None:
            return None
        return Observation(
            recipient=self.recipient(lookup, answer, raw),
            event=self.event(meaning, at, raw),
            provider_event_id=self.event_key(lookup, raw),
            payload=raw,
            message_id=self.message_id(lookup, raw),
        )

    def event(self, meaning: Meaning, at: datetime.datetime, raw: Mapping[str, Any]) -> Event:
        if meaning.type in FAILURE_TYPES or meaning.type == EventType.DEFERRED:
            return self.failure(
                meaning.type,
                at,
                self.server_text(raw),
                permanent=meaning.permanent,
                **self.codes(raw),
            )
        if meaning.type in (EventType.OPENED, EventType.CLICKED):
            machine, reason = self.machine(meaning, raw)
            return Event(meaning.type, at, machine=machine, reason=reason)
        return Event(meaning.type, at)


def parse_time(value: object) -> datetime.datetime | None:
    """ISO 8601 (with Z, offsets, 7 fraction digits as .NET writes them) or a Unix time."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
    text = str(value).strip().replace("Z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    if text.endswith(("+00", "-00")) or (
        len(text) > 3 and text[-3] in "+-" and ":" not in text[-3:]
    ):
        text += ":00"
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)

"""Update status: ask the provider what happened to an email, and record the answer.

One small client per provider (``<provider>.py``) says how to ask and how to read the answer;
this base owns the rest: which provider, the window, the rate limit, the events, the dedupe
keys, and ``record_event``. Every HTTP request goes through ``StatusClient.request`` on one
``requests.Session`` (tests pass a fake one).
"""

import datetime
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests
from django.utils.translation import gettext as _

from porto.mail.events import record_event
from porto.mail.feedback.refresh.policies import Policy, RateLimit, policy_for
from porto.mail.reasons import Refusal, failure_describe
from porto.mail.status import Event, EventType

TIMEOUT = 15  # seconds per HTTP request


class RefreshRefused(Exception):
    """Update status cannot run now; the message says why (shown to the user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RefreshFailed(Exception):
    """The provider could not be asked (network, credentials, an answer we cannot read)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def limiter_for(provider: str) -> RateLimiter:
    if provider not in _limiters:
        _limiters[provider] = RateLimiter(policy_for(provider).rate)
    return _limiters[provider]


class StatusClient:
    """One per provider. Subclasses set ``name`` and implement ``observe``."""

    name: ClassVar[str] = ""

    def __init__(
        self, session: requests.Session | None = None, limiter: RateLimiter | None = None
    ) -> None:
        self.session = session or requests.Session()
        self.limiter = limiter or limiter_for(self.name)

    @property
    def policy(self) -> Policy:
        return policy_for(self.name)

    @property
    def source(self) -> str:
        return f"{self.name}-api"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        raise NotImplementedError

    def refresh(self, email, lookups: list[Lookup], now: datetime.datetime) -> int:
        """Ask about every lookup and record the answers; how many events were new."""
        return sum(observations_record(self, self.observe(lookup, now)) for lookup in lookups)

    # --- the one HTTP seam -------------------------------------------------------------------

    def request(self, method: str, url: str, **kwargs) -> Any:
        self.limiter.wait()
        label = self.policy.label
        try:
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as error:
            raise RefreshFailed(
                _("%(provider)s could not be reached (%(error)s); try again later.")
                % {"provider": label, "error": type(error).__name__}
            ) from error
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise RefreshFailed(
                _(
                    "%(provider)s refused Porto's API key (HTTP %(code)d): the key in the server "
                    "settings must be fixed."
                )
                % {"provider": label, "code": response.status_code}
            )
        if response.status_code == 429 or response.status_code >= 400:
            raise RefreshFailed(
                _("%(provider)s answered HTTP %(code)d; try again later.")
                % {"provider": label, "code": response.status_code}
            )
        try:
            return response.json()
        except ValueError as error:
            raise RefreshFailed(
                _("%(provider)s answered something that is not JSON.") % {"provider": label}
            ) from error

    # --- helpers for subclasses ---------------------------------------------------------------

    def failure(
        self, type_: EventType, at: datetime.datetime, text: object, *, permanent: bool, **codes
    ) -> Event:
        refusal = Refusal.BOUNCE if permanent else Refusal.DELAY
        reason, code = failure_describe(text, refusal=refusal, **codes)
        return Event(type_, at, permanent=permanent, reason=reason, code=code)


def observations_record(client: StatusClient, observations: Iterable[Observation]) -> int:
    """Record every observation through the one event path; how many were new."""
    new = 0
    for item in observations:
        stored = record_event(
            source=client.source,
            event=item.event,
            message_id=item.message_id,
            recipient=item.recipient,
            provider_event_id=item.provider_event_id,
            payload=item.payload,
        )
        new += stored is not None
    return new


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

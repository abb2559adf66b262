"""Brevo: GET /v3/smtp/statistics/events?messageId=… (transactional events, 30 days)."""

import datetime

from anymail.utils import get_anymail_setting

from porto.mail.feedback.refresh.base import Lookup, Observation, StatusClient, parse_time
from porto.mail.status import Event, EventType

API_URL = "https://api.brevo.com/v3/"
SIMPLE = {
    "requests": EventType.QUEUED,
    "delivered": EventType.DELIVERED,
    "spam": EventType.COMPLAINED,
    "unsubscribed": EventType.UNSUBSCRIBED,
}
HARD = {"hardBounces", "invalid", "blocked", "error"}
SOFT = {"softBounces", "deferred"}


class BrevoClient(StatusClient):
    name = "brevo"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        api_key = get_anymail_setting("api_key", esp_name="BREVO", default="")
        answer = self.request(
            "GET",
            f"{self.api_url}smtp/statistics/events",
            params={"messageId": f"<{lookup.message_id.strip('<>')}>", "limit": 100, "days": 30},
            headers={"api-key": api_key, "accept": "application/json"},
        )
        events = (answer or {}).get("events") or []
        return [found for raw in events if (found := self.observation(lookup, raw)) is not None]

    @property
    def api_url(self) -> str:
        return get_anymail_setting("api_url", esp_name="BREVO", default=API_URL)

    def observation(self, lookup: Lookup, raw: dict) -> Observation | None:
        at = parse_time(raw.get("date"))
        event = self.event(raw, at) if at else None
        if event is None:
            return None
        return Observation(
            recipient=raw.get("email", ""),
            event=event,
            provider_event_id=f"{lookup.message_id}:{raw.get('event')}:{raw.get('email')}:"
            f"{raw.get('date')}",
            payload=raw,
            message_id=raw.get("messageId") or lookup.message_id,
        )

    def event(self, raw: dict, at: datetime.datetime) -> Event | None:
        kind = raw.get("event")
        if kind in SIMPLE:
            return Event(SIMPLE[kind], at)
        if kind in HARD:
            return self.failure(EventType.BOUNCED, at, raw.get("reason"), permanent=True)
        if kind in SOFT:
            return self.failure(EventType.DEFERRED, at, raw.get("reason"), permanent=False)
        if kind in ("opened", "clicks", "loadedByProxy"):
            type_ = EventType.CLICKED if kind == "clicks" else EventType.OPENED
            machine = kind == "loadedByProxy"
            return Event(type_, at, machine=machine, reason="proxy" if machine else "")
        return None

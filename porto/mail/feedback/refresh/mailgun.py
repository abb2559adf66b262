"""Mailgun: GET /v3/{domain}/events?message-id=… (the Events API; logs kept per plan)."""

import datetime

from anymail.utils import get_anymail_setting

from porto.mail.feedback.refresh.base import Lookup, Observation, StatusClient, parse_time
from porto.mail.status import Event, EventType

API_URL = "https://api.mailgun.net/v3/"
SIMPLE = {
    "accepted": EventType.QUEUED,
    "delivered": EventType.DELIVERED,
    "complained": EventType.COMPLAINED,
    "unsubscribed": EventType.UNSUBSCRIBED,
}


class MailgunClient(StatusClient):
    name = "mailgun"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        answer = self.request(
            "GET",
            f"{self.api_url}{self.domain(lookup)}/events",
            params={"message-id": lookup.message_id, "limit": 300},
            auth=("api", get_anymail_setting("api_key", esp_name="MAILGUN", default="")),
        )
        items = (answer or {}).get("items") or []
        return [found for raw in items if (found := self.observation(lookup, raw)) is not None]

    @property
    def api_url(self) -> str:
        url = get_anymail_setting("api_url", esp_name="MAILGUN", default=API_URL)
        return url if url.endswith("/") else url + "/"

    def domain(self, lookup: Lookup) -> str:
        """The sending domain: the setting, else the domain of the From address."""
        domain = get_anymail_setting("sender_domain", esp_name="MAILGUN", default="")
        return domain or lookup.from_address.rpartition("@")[2]

    def observation(self, lookup: Lookup, raw: dict) -> Observation | None:
        at = parse_time(raw.get("timestamp"))
        event = self.event(raw, at) if at else None
        if event is None:
            return None
        return Observation(
            recipient=raw.get("recipient", ""),
            event=event,
            provider_event_id=str(raw.get("id") or ""),
            payload=raw,
            message_id=lookup.message_id,
        )

    def event(self, raw: dict, at: datetime.datetime) -> Event | None:
        kind = raw.get("event")
        if kind in SIMPLE:
            return Event(SIMPLE[kind], at)
        if kind in ("opened", "clicked"):
            bot = (raw.get("client-info") or {}).get("bot") or ""
            type_ = EventType.OPENED if kind == "opened" else EventType.CLICKED
            return Event(type_, at, machine=bool(bot), reason=str(bot))
        if kind in ("failed", "rejected"):
            status = raw.get("delivery-status") or {}
            text = status.get("description") or status.get("message") or raw.get("reason")
            permanent = kind == "rejected" or raw.get("severity") != "temporary"
            type_ = EventType.FAILED if permanent else EventType.DEFERRED
            return self.failure(
                type_, at, text, permanent=permanent, basic_code=status.get("code") or None
            )
        return None

"""SendGrid: GET /v3/messages/{msg_id} (Email Activity, 30 days with the add-on; 6/min)."""

import datetime

from anymail.utils import get_anymail_setting

from porto.mail.feedback.refresh.base import Lookup, Observation, StatusClient, parse_time
from porto.mail.status import Event, EventType

API_URL = "https://api.sendgrid.com/v3/"


class SendGridClient(StatusClient):
    name = "sendgrid"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        api_key = get_anymail_setting("api_key", esp_name="SENDGRID", default="")
        answer = self.request(
            "GET",
            f"{self.api_url}messages/{lookup.message_id}",
            headers={"Authorization": f"Bearer {api_key}"},
        )
        if not answer:
            return []
        recipient = answer.get("to_email", "")
        return [
            found
            for index, raw in enumerate(answer.get("events") or [])
            if (found := self.observation(lookup, recipient, raw, index)) is not None
        ]

    @property
    def api_url(self) -> str:
        return get_anymail_setting("api_url", esp_name="SENDGRID", default=API_URL)

    def observation(
        self, lookup: Lookup, recipient: str, raw: dict, index: int
    ) -> Observation | None:
        at = parse_time(raw.get("processed"))
        event = self.event(raw, at) if at else None
        if event is None:
            return None
        return Observation(
            recipient=recipient,
            event=event,
            provider_event_id=f"{lookup.message_id}:{raw.get('event_name')}:{raw.get('processed')}",
            payload=raw,
            message_id=lookup.message_id,
        )

    def event(self, raw: dict, at: datetime.datetime) -> Event | None:
        kind = raw.get("event_name")
        reason = raw.get("reason")
        if kind == "processed":
            return Event(EventType.QUEUED, at)
        if kind == "delivered":
            return Event(EventType.DELIVERED, at)
        if kind == "deferred":
            return self.failure(EventType.DEFERRED, at, reason, permanent=False)
        if kind == "bounce":
            permanent = raw.get("bounce_type") != "blocked"
            type_ = EventType.BOUNCED if permanent else EventType.DEFERRED
            return self.failure(type_, at, reason, permanent=permanent)
        if kind == "dropped":
            return self.failure(EventType.REJECTED, at, reason, permanent=True)
        if kind in ("open", "click"):
            type_ = EventType.OPENED if kind == "open" else EventType.CLICKED
            return Event(type_, at, machine=bool(raw.get("sg_machine_open")))
        if kind == "spam_report":
            return Event(EventType.COMPLAINED, at)
        return None

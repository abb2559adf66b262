"""Postal: POST /api/v1/messages/deliveries {"id": …} lists the delivery attempts."""

import datetime

from anymail.utils import get_anymail_setting

from porto.mail.feedback.refresh.base import Lookup, Observation, StatusClient, parse_time
from porto.mail.status import Event, EventType


class PostalClient(StatusClient):
    name = "postal"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        base = get_anymail_setting("api_url", esp_name="POSTAL", default="").rstrip("/")
        answer = self.request(
            "POST",
            f"{base}/api/v1/messages/deliveries",
            json={"id": int(lookup.message_id) if lookup.message_id.isdigit() else 0},
            headers={
                "X-Server-API-Key": get_anymail_setting("api_key", esp_name="POSTAL", default="")
            },
        )
        if not answer or answer.get("status") != "success":
            return []
        # A Postal message id names one message to one recipient.
        recipient = lookup.addresses[0] if len(lookup.addresses) == 1 else ""
        return [
            found
            for raw in answer.get("data") or []
            if (found := self.observation(lookup, recipient, raw)) is not None
        ]

    def observation(self, lookup: Lookup, recipient: str, raw: dict) -> Observation | None:
        at = parse_time(raw.get("timestamp"))
        event = self.event(raw, at) if at else None
        if event is None:
            return None
        return Observation(
            recipient=recipient,
            event=event,
            provider_event_id=f"delivery:{raw.get('id')}",
            payload=raw,
            message_id=lookup.message_id,
        )

    def event(self, raw: dict, at: datetime.datetime) -> Event | None:
        kind = raw.get("status")
        text = raw.get("output") or raw.get("details")
        if kind == "Sent":
            return Event(EventType.DELIVERED, at)
        if kind == "SoftFail":
            return self.failure(EventType.DEFERRED, at, text, permanent=False)
        if kind in ("HardFail", "Bounced"):
            return self.failure(EventType.BOUNCED, at, text, permanent=True)
        return None  # Held: waiting in Postal

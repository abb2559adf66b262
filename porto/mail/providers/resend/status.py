"""Resend: GET /emails/{id} gives the email's ``last_event`` only (kept 1 to 7 days by plan).

Resend tells no time for the last event: it is recorded at the moment Porto asked, and the
dedupe key (id + last event) keeps one record per event however often it is asked.
"""

import datetime

from anymail.utils import get_anymail_setting

from porto.mail.providers.base.status import Lookup, Observation, StatusClient, parse_time
from porto.mail.status import Event, EventType

API_URL = "https://api.resend.com/"
SIMPLE = {
    "sent": EventType.SENT,
    "queued": EventType.QUEUED,
    "scheduled": EventType.QUEUED,
    "delivered": EventType.DELIVERED,
    "opened": EventType.OPENED,
    "clicked": EventType.CLICKED,
    "complained": EventType.COMPLAINED,
}


class ResendStatus(StatusClient):
    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        api_key = get_anymail_setting("api_key", esp_name="RESEND", default="")
        answer = self.request(
            "GET",
            f"{self.api_url}emails/{lookup.message_id}",
            headers={"Authorization": f"Bearer {api_key}"},
        )
        if not answer:
            return []
        event = self.event(answer.get("last_event"), parse_time(answer.get("created_at")), now)
        if event is None:
            return []
        return [
            Observation(
                recipient=address,
                event=event,
                provider_event_id=f"{lookup.message_id}:{answer.get('last_event')}:{address}",
                payload=answer,
                message_id=lookup.message_id,
            )
            for address in answer.get("to") or []
        ]

    @property
    def api_url(self) -> str:
        return get_anymail_setting("api_url", esp_name="RESEND", default=API_URL)

    def event(
        self, kind: str | None, created: datetime.datetime | None, now: datetime.datetime
    ) -> Event | None:
        at = created if kind in ("sent", "queued", "scheduled") and created else now
        if kind in SIMPLE:
            return Event(SIMPLE[kind], at)
        if kind == "bounced":
            return self.failure(EventType.BOUNCED, at, "", permanent=True)
        if kind == "failed":
            return self.failure(EventType.FAILED, at, "", permanent=True)
        if kind == "delivery_delayed":
            return self.failure(EventType.DEFERRED, at, "", permanent=False)
        return None  # canceled

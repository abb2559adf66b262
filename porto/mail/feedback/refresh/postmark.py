"""Postmark: GET /messages/outbound/{MessageID}/details lists the message's MessageEvents."""

import datetime

from anymail.utils import get_anymail_setting

from porto.mail.feedback.refresh.base import Lookup, Observation, StatusClient, parse_time
from porto.mail.status import Event, EventType

API_URL = "https://api.postmarkapp.com/"


class PostmarkClient(StatusClient):
    name = "postmark"

    def observe(self, lookup: Lookup, now: datetime.datetime) -> list[Observation]:
        answer = self.request(
            "GET",
            f"{self.api_url}messages/outbound/{lookup.message_id}/details",
            headers={
                "Accept": "application/json",
                "X-Postmark-Server-Token": get_anymail_setting(
                    "server_token", esp_name="POSTMARK", default=""
                ),
            },
        )
        if not answer:
            return []
        return [
            found
            for index, raw in enumerate(answer.get("MessageEvents") or [])
            if (found := self.observation(lookup, raw, index)) is not None
        ]

    @property
    def api_url(self) -> str:
        return get_anymail_setting("api_url", esp_name="POSTMARK", default=API_URL)

    def observation(self, lookup: Lookup, raw: dict, index: int) -> Observation | None:
        at = parse_time(raw.get("ReceivedAt"))
        event = self.event(raw, at) if at else None
        if event is None:
            return None
        return Observation(
            recipient=raw.get("Recipient", ""),
            event=event,
            provider_event_id=f"{lookup.message_id}:{raw.get('Type')}:{raw.get('Recipient')}:"
            f"{raw.get('ReceivedAt')}",
            payload=raw,
            message_id=lookup.message_id,
        )

    def event(self, raw: dict, at: datetime.datetime) -> Event | None:
        details = raw.get("Details") or {}
        kind = raw.get("Type")
        if kind == "Delivered":
            return Event(EventType.DELIVERED, at)
        if kind == "Queued":
            return Event(EventType.QUEUED, at)
        if kind == "Transient":
            return self.failure(EventType.DEFERRED, at, details.get("Summary"), permanent=False)
        if kind == "Bounced":
            return self.failure(EventType.BOUNCED, at, details.get("Summary"), permanent=True)
        if kind in ("Opened", "LinkClicked"):
            return Event(
                EventType.OPENED if kind == "Opened" else EventType.CLICKED,
                at,
                machine=details.get("Platform") == "Unknown" and not details.get("UserAgent"),
            )
        return None  # SubscriptionChanged and the like say nothing about delivery

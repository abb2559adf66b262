"""Postmark: GET /messages/outbound/{MessageID}/details lists the message's MessageEvents."""

from anymail.utils import get_anymail_setting

from porto.mail.providers.base.status import EventLogClient, Meaning
from porto.mail.status import EventType

API_URL = "https://api.postmarkapp.com/"


class PostmarkStatus(EventLogClient):
    time_key = "ReceivedAt"
    meanings = {
        "Queued": Meaning(EventType.QUEUED),
        "Delivered": Meaning(EventType.DELIVERED),
        "Transient": Meaning(EventType.DEFERRED, permanent=False),
        "Bounced": Meaning(EventType.BOUNCED),
        "Opened": Meaning(EventType.OPENED),
        "LinkClicked": Meaning(EventType.CLICKED),
        # SubscriptionChanged and the like say nothing about delivery.
    }

    def ask(self, lookup, now):
        api_url = get_anymail_setting("api_url", esp_name="POSTMARK", default=API_URL)
        token = get_anymail_setting("server_token", esp_name="POSTMARK", default="")
        return self.request(
            "GET",
            f"{api_url}messages/outbound/{lookup.message_id}/details",
            headers={"Accept": "application/json", "X-Postmark-Server-Token": token},
        )

    def raw_events(self, answer):
        return answer.get("MessageEvents") or []

    def raw_kind(self, raw):
        return str(raw.get("Type"))

    def recipient(self, lookup, answer, raw):
        return raw.get("Recipient", "")

    def event_key(self, lookup, raw):
        return (
            f"{lookup.message_id}:{raw.get('Type')}:{raw.get('Recipient')}:{raw.get('ReceivedAt')}"
        )

    def server_text(self, raw):
        return (raw.get("Details") or {}).get("Summary")

    def machine(self, meaning, raw):
        details = raw.get("Details") or {}
        return bool(details.get("Platform") == "Unknown" and not details.get("UserAgent")), ""

"""Postal: POST /api/v1/messages/deliveries {"id": …} lists the delivery attempts."""

from anymail.utils import get_anymail_setting

from porto.mail.providers.base.status import EventLogClient, Meaning
from porto.mail.status import EventType


class PostalStatus(EventLogClient):
    time_key = "timestamp"
    meanings = {
        "Sent": Meaning(EventType.DELIVERED),
        "SoftFail": Meaning(EventType.DEFERRED, permanent=False),
        "HardFail": Meaning(EventType.BOUNCED),
        "Bounced": Meaning(EventType.BOUNCED),
        # Held: waiting in Postal.
    }

    def ask(self, lookup, now):
        base = get_anymail_setting("api_url", esp_name="POSTAL", default="").rstrip("/")
        api_key = get_anymail_setting("api_key", esp_name="POSTAL", default="")
        answer = self.request(
            "POST",
            f"{base}/api/v1/messages/deliveries",
            json={"id": int(lookup.message_id) if lookup.message_id.isdigit() else 0},
            headers={"X-Server-API-Key": api_key},
        )
        return answer if answer and answer.get("status") == "success" else None

    def raw_events(self, answer):
        return answer.get("data") or []

    def raw_kind(self, raw):
        return str(raw.get("status"))

    def recipient(self, lookup, answer, raw):
        # A Postal message id names one message to one recipient.
        return lookup.addresses[0] if len(lookup.addresses) == 1 else ""

    def event_key(self, lookup, raw):
        return f"delivery:{raw.get('id')}"

    def server_text(self, raw):
        return raw.get("output") or raw.get("details")

"""SendGrid: GET /v3/messages/{msg_id} (Email Activity, 30 days with the add-on; 6/min)."""

from anymail.utils import get_anymail_setting

from porto.mail.providers.base.status import EventLogClient, Meaning
from porto.mail.status import EventType

API_URL = "https://api.sendgrid.com/v3/"


class SendGridStatus(EventLogClient):
    time_key = "processed"
    meanings = {
        "processed": Meaning(EventType.QUEUED),
        "delivered": Meaning(EventType.DELIVERED),
        "deferred": Meaning(EventType.DEFERRED, permanent=False),
        "bounce:bounce": Meaning(EventType.BOUNCED),
        # SendGrid: "could not or would not accept the message temporarily".
        "bounce:blocked": Meaning(EventType.DEFERRED, permanent=False),
        "dropped": Meaning(EventType.REJECTED),
        "open": Meaning(EventType.OPENED),
        "click": Meaning(EventType.CLICKED),
        "spam_report": Meaning(EventType.COMPLAINED),
    }

    def ask(self, lookup, now):
        api_url = get_anymail_setting("api_url", esp_name="SENDGRID", default=API_URL)
        api_key = get_anymail_setting("api_key", esp_name="SENDGRID", default="")
        return self.request(
            "GET",
            f"{api_url}messages/{lookup.message_id}",
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def raw_events(self, answer):
        return answer.get("events") or []

    def raw_kind(self, raw):
        kind = str(raw.get("event_name"))
        if kind == "bounce":
            return "bounce:blocked" if raw.get("bounce_type") == "blocked" else "bounce:bounce"
        return kind

    def recipient(self, lookup, answer, raw):
        return answer.get("to_email", "")

    def event_key(self, lookup, raw):
        return f"{lookup.message_id}:{raw.get('event_name')}:{raw.get('processed')}"

    def server_text(self, raw):
        return raw.get("reason")

    def machine(self, meaning, raw):
        return bool(raw.get("sg_machine_open")), ""

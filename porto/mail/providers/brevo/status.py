"""Brevo: GET /v3/smtp/statistics/events?messageId=… (transactional events, 30 days)."""

from anymail.utils import get_anymail_setting

from porto.mail.providers.base.status import EventLogClient, Meaning
from porto.mail.status import EventType

API_URL = "https://api.brevo.com/v3/"
HARD = Meaning(EventType.BOUNCED)
SOFT = Meaning(EventType.DEFERRED, permanent=False)


class BrevoStatus(EventLogClient):
    time_key = "date"
    meanings = {
        "requests": Meaning(EventType.QUEUED),
        "delivered": Meaning(EventType.DELIVERED),
        "spam": Meaning(EventType.COMPLAINED),
        "unsubscribed": Meaning(EventType.UNSUBSCRIBED),
        "hardBounces": HARD,
        "invalid": HARD,
        "blocked": HARD,
        "error": HARD,
        "softBounces": SOFT,
        "deferred": SOFT,
        "opened": Meaning(EventType.OPENED),
        "clicks": Meaning(EventType.CLICKED),
        "loadedByProxy": Meaning(EventType.OPENED, machine="proxy"),
    }

    def ask(self, lookup, now):
        api_url = get_anymail_setting("api_url", esp_name="BREVO", default=API_URL)
        api_key = get_anymail_setting("api_key", esp_name="BREVO", default="")
        return self.request(
            "GET",
            f"{api_url}smtp/statistics/events",
            params={"messageId": f"<{lookup.message_id.strip('<>')}>", "limit": 100, "days": 30},
            headers={"api-key": api_key, "accept": "application/json"},
        )

    def raw_events(self, answer):
        return answer.get("events") or []

    def raw_kind(self, raw):
        return str(raw.get("event"))

    def recipient(self, lookup, answer, raw):
        return raw.get("email", "")

    def event_key(self, lookup, raw):
        return f"{lookup.message_id}:{raw.get('event')}:{raw.get('email')}:{raw.get('date')}"

    def message_id(self, lookup, raw):
        return raw.get("messageId") or lookup.message_id

    def server_text(self, raw):
        return raw.get("reason")

"""Mailgun: GET /v3/{domain}/events?message-id=… (the Events API; logs kept per plan)."""

from anymail.utils import get_anymail_setting

from porto.mail.providers.base.status import EventLogClient, Meaning
from porto.mail.status import EventType

API_URL = "https://api.mailgun.net/v3/"


class MailgunStatus(EventLogClient):
    time_key = "timestamp"
    meanings = {
        "accepted": Meaning(EventType.QUEUED),
        "delivered": Meaning(EventType.DELIVERED),
        "complained": Meaning(EventType.COMPLAINED),
        "unsubscribed": Meaning(EventType.UNSUBSCRIBED),
        "opened": Meaning(EventType.OPENED),
        "clicked": Meaning(EventType.CLICKED),
        "failed:permanent": Meaning(EventType.FAILED),
        "failed:temporary": Meaning(EventType.DEFERRED, permanent=False),
        "rejected": Meaning(EventType.FAILED),
    }

    def ask(self, lookup, now):
        return self.request(
            "GET",
            f"{self.api_url}{self.domain(lookup)}/events",
            params={"message-id": lookup.message_id, "limit": 300},
            auth=("api", get_anymail_setting("api_key", esp_name="MAILGUN", default="")),
        )

    @property
    def api_url(self) -> str:
        url = get_anymail_setting("api_url", esp_name="MAILGUN", default=API_URL)
        return url if url.endswith("/") else url + "/"

    def domain(self, lookup) -> str:
        """The sending domain: the setting, else the domain of the From address."""
        domain = get_anymail_setting("sender_domain", esp_name="MAILGUN", default="")
        return domain or lookup.from_address.rpartition("@")[2]

    def raw_events(self, answer):
        return answer.get("items") or []

    def raw_kind(self, raw):
        kind = str(raw.get("event"))
        if kind == "failed":
            return f"failed:{'temporary' if raw.get('severity') == 'temporary' else 'permanent'}"
        return kind

    def recipient(self, lookup, answer, raw):
        return raw.get("recipient", "")

    def event_key(self, lookup, raw):
        return str(raw.get("id") or "")

    def server_text(self, raw):
        status = raw.get("delivery-status") or {}
        return status.get("description") or status.get("message") or raw.get("reason")

    def codes(self, raw):
        return {"basic_code": (raw.get("delivery-status") or {}).get("code") or None}

    def machine(self, meaning, raw):
        bot = (raw.get("client-info") or {}).get("bot") or ""
        return bool(bot), str(bot)

"""SparkPost: GET /api/v1/events/message?transmissions=… (the Events API, 10 days).

anymail gives the transmission id as the message id (its webhooks do the same), so Porto
searches by transmission; the search covers the last day unless told ``from``.
"""

import datetime

from anymail.utils import get_anymail_setting

from porto.mail.feedback.pixel import classify_open
from porto.mail.providers.base.status import EventLogClient, Meaning
from porto.mail.status import EventType

API_URL = "https://api.sparkpost.com/api/v1"
BOUNCED = Meaning(EventType.BOUNCED)
OPENED = Meaning(EventType.OPENED)
CLICKED = Meaning(EventType.CLICKED)
UNSUBSCRIBED = Meaning(EventType.UNSUBSCRIBED)


class SparkPostStatus(EventLogClient):
    time_key = "timestamp"
    meanings = {
        "injection": Meaning(EventType.QUEUED),
        "delivery": Meaning(EventType.DELIVERED),
        "delay": Meaning(EventType.DEFERRED, permanent=False),
        # SparkPost reports a bounce only once it stopped trying: every bounce is final.
        "bounce": BOUNCED,
        "out_of_band": BOUNCED,
        "policy_rejection": Meaning(EventType.REJECTED),
        "generation_failure": Meaning(EventType.FAILED),
        "generation_rejection": Meaning(EventType.REJECTED),
        "spam_complaint": Meaning(EventType.COMPLAINED),
        "open": OPENED,
        "initial_open": OPENED,
        "amp_open": OPENED,
        "amp_initial_open": OPENED,
        "click": CLICKED,
        "amp_click": CLICKED,
        "list_unsubscribe": UNSUBSCRIBED,
        "link_unsubscribe": UNSUBSCRIBED,
    }

    def ask(self, lookup, now):
        api_url = get_anymail_setting("api_url", esp_name="SPARKPOST", default=API_URL)
        since = now - datetime.timedelta(days=self.policy.retention_days)
        return self.request(
            "GET",
            f"{api_url.rstrip('/')}/events/message",
            params={
                "transmissions": lookup.message_id,
                "from": since.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "per_page": 1000,
            },
            headers={
                "Authorization": get_anymail_setting("api_key", esp_name="SPARKPOST", default=""),
                "Accept": "application/json",
            },
        )

    def raw_events(self, answer):
        return answer.get("results") or []

    def raw_kind(self, raw):
        return str(raw.get("type"))

    def recipient(self, lookup, answer, raw):
        return raw.get("rcpt_to", "")

    def event_key(self, lookup, raw):
        return str(raw.get("event_id") or "")

    def server_text(self, raw):
        return raw.get("raw_reason") or raw.get("reason")

    def codes(self, raw):
        return {"basic_code": raw.get("error_code") or None}

    def machine(self, meaning, raw):
        user_agent = str(raw.get("user_agent") or "")
        if not user_agent:
            return False, ""  # SparkPost does not say who opened: take it as a person
        kind = classify_open(user_agent, str(raw.get("ip_address") or ""), None)
        return kind.machine, kind.reason

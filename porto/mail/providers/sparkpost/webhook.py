"""SparkPost: ``initial_open`` (anymail: unknown) is an open.

SparkPost sends ``bounce`` only once it stopped trying (temporary refusals come as
``delay``), so every bounce is final; ``bounce_class`` only changes the wording.
"""

from anymail.webhooks.sparkpost import SparkPostTrackingWebhookView

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType


class SparkPostWebhook(WebhookParser):
    view_class = SparkPostTrackingWebhookView
    kinds = {
        "initial_open": Kind(EventType.OPENED),
        "amp_initial_open": Kind(EventType.OPENED),
    }

    def detail(self, esp_event):
        events = (super().detail(esp_event).get("msys") or {}).values()
        return next(iter(events), {})

    def raw_kind(self, detail):
        return str(detail.get("type", ""))

    def codes(self, detail):
        return detail.get("error_code"), None

    def opener(self, tracking, detail):
        return str(tracking.user_agent or ""), str(detail.get("ip_address") or "")

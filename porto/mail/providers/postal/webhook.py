"""Postal: MessageLoaded (anymail: unknown) is an open; SoftFail is a deferral."""

from anymail.webhooks.postal import PostalTrackingWebhookView

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType


class PostalWebhook(WebhookParser):
    view_class = PostalTrackingWebhookView
    kinds = {
        "MessageSent": Kind(EventType.DELIVERED),
        "MessageDelayed": Kind(EventType.DEFERRED),
        "MessageDeliveryFailed": Kind(EventType.FAILED),
        "MessageHeld": Kind(EventType.QUEUED),
        "MessageBounced": Kind(EventType.BOUNCED),
        "MessageLinkClicked": Kind(EventType.CLICKED),
        "MessageLoaded": Kind(EventType.OPENED),
        "DomainDNSError": Kind(None),
        "SendLimitApproaching": Kind(None),
        "SendLimitExceeded": Kind(None),
    }

    def raw_kind(self, detail):
        return str(detail.get("event", ""))

    def _payload(self, detail) -> dict:
        payload = detail.get("payload")
        return payload if isinstance(payload, dict) else {}

    def server_text(self, tracking, detail):
        payload = self._payload(detail)
        return str(payload.get("output") or payload.get("details") or "")

    def opener(self, tracking, detail):
        payload = self._payload(detail)
        return str(payload.get("user_agent") or ""), str(payload.get("ip_address") or "")

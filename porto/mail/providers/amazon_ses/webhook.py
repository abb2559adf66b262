"""Amazon SES (through SNS): ``bounceType`` tells soft from hard; DeliveryDelay is a deferral.

anymail makes one event per recipient from one SNS notification, all with the SNS
MessageId as event id: the dedupe key adds the recipient.
"""

from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType


class AmazonSesWebhook(WebhookParser):
    view_class = AmazonSESTrackingWebhookView
    kinds = {
        "Bounce:Permanent": Kind(EventType.BOUNCED),
        "Bounce:Transient": Kind(EventType.BOUNCED, permanent=False),
        # "Undetermined": a bounce message came back without a reason; treat it as final.
        "Bounce:Undetermined": Kind(EventType.BOUNCED),
        "DeliveryDelay": Kind(EventType.DEFERRED),  # anymail says "unknown"
        "Subscription": Kind(None),
    }

    def raw_kind(self, detail):
        kind = str(detail.get("eventType") or detail.get("notificationType") or "")
        if kind == "Bounce":
            return f"Bounce:{(detail.get('bounce') or {}).get('bounceType', '')}"
        return kind

    def _delayed(self, tracking, detail) -> dict:
        for delayed in (detail.get("deliveryDelay") or {}).get("delayedRecipients") or []:
            if delayed.get("emailAddress") == tracking.recipient:
                return delayed
        return {}

    def applies(self, tracking, detail):
        # anymail lists every destination of a DeliveryDelay; only the delayed ones are.
        return self.raw_kind(detail) != "DeliveryDelay" or bool(self._delayed(tracking, detail))

    def server_text(self, tracking, detail):
        if self.raw_kind(detail) == "DeliveryDelay":
            return str(self._delayed(tracking, detail).get("diagnosticCode") or "")
        return super().server_text(tracking, detail)

    def opener(self, tracking, detail):
        action = detail.get("open") or detail.get("click") or {}
        return str(action.get("userAgent") or ""), str(action.get("ipAddress") or "")

    def nested_json(self, value):
        # Amazon SNS wraps the SES event as a JSON string in ``Message``.
        if not isinstance(value, dict) or value.get("Type") != "Notification":
            return []
        message = value.get("Message")
        if isinstance(message, str) and message.lstrip().startswith("{"):
            return [("SNS Message", message)]
        return []

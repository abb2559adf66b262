"""Postmark: bounce ``Type`` tells soft from hard; delivery and open events have no id."""

from anymail.webhooks.postmark import PostmarkTrackingWebhookView

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType


class PostmarkWebhook(WebhookParser):
    view_class = PostmarkTrackingWebhookView
    kinds = {
        "Bounce:SoftBounce": Kind(EventType.BOUNCED, permanent=False),
        "Bounce:Transient": Kind(EventType.DEFERRED),
        "Bounce:DnsError": Kind(EventType.DEFERRED),
        # A suppression list change is about the address, not about this email.
        "SubscriptionChange": Kind(None),
    }

    def raw_kind(self, detail):
        record = str(detail.get("RecordType", ""))
        return f"{record}:{detail.get('Type', '')}" if record == "Bounce" else record

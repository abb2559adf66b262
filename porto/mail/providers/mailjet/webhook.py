"""Mailjet: ``hard_bounce`` tells soft from hard; no event ids."""

from anymail.webhooks.mailjet import MailjetTrackingWebhookView

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType


class MailjetWebhook(WebhookParser):
    view_class = MailjetTrackingWebhookView
    kinds = {
        "bounce:hard": Kind(EventType.BOUNCED),
        "bounce:soft": Kind(EventType.BOUNCED, permanent=False),
    }

    def raw_kind(self, detail):
        event = str(detail.get("event", ""))
        if event == "bounce":
            return "bounce:hard" if detail.get("hard_bounce") else "bounce:soft"
        return event

    def server_text(self, tracking, detail):
        parts = (detail.get("error"), detail.get("comment") or tracking.mta_response)
        return ": ".join(str(part) for part in parts if part)

    def opener(self, tracking, detail):
        return str(tracking.user_agent or ""), str(detail.get("ip") or "")

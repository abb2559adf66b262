"""SendGrid: bounce ``type`` "blocked" is temporary; ``sg_machine_open`` flags machine opens."""

from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.utils.translation import gettext_noop as N_

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType


class SendGridWebhook(WebhookParser):
    view_class = SendGridTrackingWebhookView
    kinds = {
        "bounce:bounce": Kind(EventType.BOUNCED),
        # SendGrid: "could not or would not accept the message temporarily".
        "bounce:blocked": Kind(EventType.BOUNCED, permanent=False),
    }

    def raw_kind(self, detail):
        event = str(detail.get("event", ""))
        return f"{event}:{detail.get('type', 'bounce')}" if event == "bounce" else event

    def server_text(self, tracking, detail):
        return str(detail.get("reason") or detail.get("response") or tracking.mta_response or "")

    def codes(self, detail):
        return None, detail.get("status")

    def bot(self, detail):
        flag = detail.get("sg_machine_open")
        if flag is True or str(flag).lower() == "true":
            return N_("an image proxy such as Apple Mail Privacy Protection (reported by SendGrid)")
        return ""

    def opener(self, tracking, detail):
        return str(tracking.user_agent or ""), str(detail.get("ip") or "")

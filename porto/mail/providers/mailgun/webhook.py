"""Mailgun: ``severity`` tells soft from hard; ``client-info.bot`` flags machine opens."""

from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from django.http import QueryDict
from django.utils.translation import gettext_noop as N_

from porto.mail.providers.base.webhook import WebhookParser

BOTS = {
    "apple": N_("Apple Mail Privacy Protection"),
    "gmail": N_("Gmail's image proxy"),
    "generic": N_("a security scanner or firewall"),
}


class MailgunWebhook(WebhookParser):
    view_class = MailgunTrackingWebhookView
    # anymail already turns failed + severity "temporary" into deferred.

    def detail(self, esp_event):
        if isinstance(esp_event, QueryDict):  # legacy form-encoded webhooks
            return esp_event.dict()
        return super().detail(esp_event).get("event-data") or {}

    def codes(self, detail):
        status = detail.get("delivery-status")
        if not isinstance(status, dict):
            return None, None
        return status.get("code"), status.get("enhanced-code")

    def bot(self, detail):
        client = detail.get("client-info")
        bot = str(client.get("bot") or "") if isinstance(client, dict) else ""
        return BOTS.get(bot, BOTS["generic"]) if bot else ""

    def opener(self, tracking, detail):
        return str(tracking.user_agent or ""), str(detail.get("ip") or "")

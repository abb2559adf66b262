"""Mailjet: basic auth on its webhooks; no status client: its events come by webhook."""

from django.utils.translation import gettext_lazy as _

from porto.mail.providers.base.auth import BASIC_AUTH, WebhookAuth
from porto.mail.providers.base.provider import ApiKeyAccount, Provider
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.mailjet.webhook import MailjetWebhook

PROVIDER = Provider(
    name="mailjet",
    label="Mailjet",
    backends=("mailjet",),
    webhook=MailjetWebhook,
    auth=WebhookAuth(credentials=(BASIC_AUTH,)),
    status=None,
    no_status_reason=_(
        "Porto cannot ask Mailjet about a sent message; its events come by webhook."
    ),
    retention_days=30,
    rate=RateLimit(5, 1),
    account=ApiKeyAccount("Mailjet", "api_key", "https://api.mailjet.com/v3.1/"),
)

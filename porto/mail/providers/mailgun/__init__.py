"""Mailgun: signed webhooks (timestamp and token only); events kept up to 30 days by plan."""

from porto.mail.providers.base.auth import (
    Credential,
    DeliveryId,
    SignedTime,
    WebhookAuth,
    any_of,
    anymail_setting,
)
from porto.mail.providers.base.provider import ApiKeyAccount, Provider
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.mailgun.auth import mailgun_timestamp, mailgun_token
from porto.mail.providers.mailgun.status import MailgunStatus
from porto.mail.providers.mailgun.webhook import MailgunWebhook

SIGNING_KEY = Credential(
    "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY",
    any_of(
        anymail_setting("webhook_signing_key", "Mailgun"), anymail_setting("api_key", "Mailgun")
    ),
)

PROVIDER = Provider(
    name="mailgun",
    label="Mailgun",
    backends=("mailgun",),
    webhook=MailgunWebhook,
    auth=WebhookAuth(
        credentials=(SIGNING_KEY,),
        signed_time=SignedTime("Mailgun", mailgun_timestamp),
        delivery_id=DeliveryId("token", mailgun_token),
    ),
    status=MailgunStatus,
    retention_days=30,
    rate=RateLimit(5, 1),
    account=ApiKeyAccount("Mailgun", "api_key", "https://api.mailgun.net/v3/"),
)

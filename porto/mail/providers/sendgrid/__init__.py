"""SendGrid: signed Event Webhook; Email Activity kept 30 days (with the add-on), 6 asks a minute."""

from porto.mail.providers.base.auth import Credential, SignedTime, WebhookAuth, anymail_setting
from porto.mail.providers.base.provider import ApiKeyAccount, Provider
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.sendgrid.auth import sendgrid_timestamp
from porto.mail.providers.sendgrid.status import SendGridStatus
from porto.mail.providers.sendgrid.webhook import SendGridWebhook

VERIFICATION_KEY = Credential(
    "ANYMAIL_SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
    anymail_setting("tracking_webhook_verification_key", "SendGrid"),
)

PROVIDER = Provider(
    name="sendgrid",
    label="SendGrid",
    backends=("sendgrid",),
    webhook=SendGridWebhook,
    auth=WebhookAuth(
        credentials=(VERIFICATION_KEY,), signed_time=SignedTime("SendGrid", sendgrid_timestamp)
    ),
    status=SendGridStatus,
    retention_days=30,
    rate=RateLimit(6, 60),
    account=ApiKeyAccount("SendGrid", "api_key", "https://api.sendgrid.com/v3/"),
)

"""Resend: Svix-signed webhooks; emails kept 1 to 7 days by plan. Open tracking is set on the
Resend domain, not per message."""

from porto.mail.providers.base.auth import (
    Credential,
    DeliveryId,
    SignedTime,
    WebhookAuth,
    anymail_setting,
)
from porto.mail.providers.base.provider import ApiKeyAccount, Provider, SendQuirks
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.resend.auth import svix_id, svix_timestamp
from porto.mail.providers.resend.status import ResendStatus
from porto.mail.providers.resend.webhook import ResendWebhook

PROVIDER = Provider(
    name="resend",
    label="Resend",
    backends=("resend",),
    webhook=ResendWebhook,
    auth=WebhookAuth(
        credentials=(
            Credential(
                "ANYMAIL_RESEND_SIGNING_SECRET", anymail_setting("signing_secret", "Resend")
            ),
        ),
        signed_time=SignedTime("Resend", svix_timestamp),
        delivery_id=DeliveryId("svix", svix_id),
    ),
    status=ResendStatus,
    retention_days=3,
    retention_setting="PORTO_REFRESH_RESEND_RETENTION_DAYS",
    rate=RateLimit(2, 1),
    account=ApiKeyAccount("Resend", "api_key", "https://api.resend.com/"),
    quirks=SendQuirks(tracking_per_message=False),
)

"""Postal (self-hosted): RSA-signed webhooks, checked by Porto with SHA-256; retention is the
server's setting. Postal takes no metadata, and tracking is set on the Postal server."""

from porto.mail.providers.base.auth import Credential, WebhookAuth, anymail_setting
from porto.mail.providers.base.provider import ApiKeyAccount, Provider, SendQuirks
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.postal.auth import postal_verify
from porto.mail.providers.postal.status import PostalStatus
from porto.mail.providers.postal.webhook import PostalWebhook

PROVIDER = Provider(
    name="postal",
    label="Postal",
    backends=("postal",),
    webhook=PostalWebhook,
    auth=WebhookAuth(
        credentials=(
            Credential("ANYMAIL_POSTAL_WEBHOOK_KEY", anymail_setting("webhook_key", "Postal")),
        ),
        verify=postal_verify,
    ),
    status=PostalStatus,
    retention_days=30,
    retention_setting="PORTO_REFRESH_POSTAL_RETENTION_DAYS",
    rate=RateLimit(10, 1),
    account=ApiKeyAccount("Postal", "api_key", ""),
    quirks=SendQuirks(metadata=False, tracking_per_message=False),
)

"""Brevo (formerly Sendinblue): basic auth on its webhooks; transactional events kept 30 days.
Open tracking is set in the Brevo account, not per message."""

from porto.mail.providers.base.auth import BASIC_AUTH, WebhookAuth
from porto.mail.providers.base.provider import ApiKeyAccount, Provider, SendQuirks
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.brevo.status import BrevoStatus
from porto.mail.providers.brevo.webhook import BrevoWebhook

PROVIDER = Provider(
    name="brevo",
    label="Brevo",
    backends=("brevo", "sendinblue"),
    webhook=BrevoWebhook,
    auth=WebhookAuth(credentials=(BASIC_AUTH,)),
    status=BrevoStatus,
    retention_days=30,
    rate=RateLimit(10, 1),
    account=ApiKeyAccount("Brevo", "api_key", "https://api.brevo.com/v3/"),
    quirks=SendQuirks(tracking_per_message=False),
)

"""Postmark: basic auth on its webhooks; message details kept 45 days."""

from porto.mail.providers.base.auth import BASIC_AUTH, WebhookAuth
from porto.mail.providers.base.provider import ApiKeyAccount, Provider
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.postmark.status import PostmarkStatus
from porto.mail.providers.postmark.webhook import PostmarkWebhook

PROVIDER = Provider(
    name="postmark",
    label="Postmark",
    backends=("postmark",),
    webhook=PostmarkWebhook,
    auth=WebhookAuth(credentials=(BASIC_AUTH,)),
    status=PostmarkStatus,
    retention_days=45,
    rate=RateLimit(10, 1),
    account=ApiKeyAccount("Postmark", "server_token", "https://api.postmarkapp.com/"),
)

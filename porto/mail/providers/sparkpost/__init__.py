"""SparkPost (Bird): basic auth on its webhooks; the Events API keeps events 10 days."""

from porto.mail.providers.base.auth import BASIC_AUTH, WebhookAuth
from porto.mail.providers.base.provider import ApiKeyAccount, Provider
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.sparkpost.status import SparkPostStatus
from porto.mail.providers.sparkpost.webhook import SparkPostWebhook

PROVIDER = Provider(
    name="sparkpost",
    label="SparkPost",
    backends=("sparkpost",),
    webhook=SparkPostWebhook,
    auth=WebhookAuth(credentials=(BASIC_AUTH,)),
    status=SparkPostStatus,
    retention_days=10,
    rate=RateLimit(5, 1),
    account=ApiKeyAccount("SparkPost", "api_key", "https://api.sparkpost.com/api/v1/"),
)

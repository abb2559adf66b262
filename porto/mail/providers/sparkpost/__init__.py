"""SparkPost (Bird): basic auth on its webhooks; events kept 10 days; no status client: its
events come by webhook."""

from django.utils.translation import gettext_lazy as _

from porto.mail.providers.base.auth import BASIC_AUTH, WebhookAuth
from porto.mail.providers.base.provider import ApiKeyAccount, Provider
from porto.mail.providers.base.status import RateLimit
from porto.mail.providers.sparkpost.webhook import SparkPostWebhook

PROVIDER = Provider(
    name="sparkpost",
    label="SparkPost",
    backends=("sparkpost",),
    webhook=SparkPostWebhook,
    auth=WebhookAuth(credentials=(BASIC_AUTH,)),
    status=None,
    no_status_reason=_(
        "Porto cannot ask SparkPost about a sent message; its events come by webhook."
    ),
    retention_days=10,
    rate=RateLimit(5, 1),
    account=ApiKeyAccount("SparkPost", "api_key", "https://api.sparkpost.com/api/v1/"),
)

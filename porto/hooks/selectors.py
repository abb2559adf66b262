from django.db.models import QuerySet

from porto.accounts.models import Company
from porto.hooks.models import WebhookAttempt, WebhookEndpoint

ATTEMPTS_SHOWN = 50


def endpoints_of(company: Company) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company=company)


def attempts_of(endpoint: WebhookEndpoint, limit: int = ATTEMPTS_SHOWN) -> list[WebhookAttempt]:
    """The newest attempts first, each with its message (event type, message id)."""
    return list(
        WebhookAttempt.objects.filter(message__endpoint=endpoint).select_related("message")[:limit]
    )

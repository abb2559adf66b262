"""Webhook authentication: one call per request, whatever the provider.

Each provider declares how its webhook proves its sender (``Provider.auth``, see
``porto.mail.providers.base.auth``): the settings it needs, the check (anymail's validators,
or Porto's own for Postal's SHA-256 signatures and Amazon SNS message signatures), and where
its signed timestamp is. This module runs them in order:

- an endpoint whose credentials are not configured refuses every request
  (``webhook_gate.credentials_missing``), never falls open;
- the provider's check;
- the freshness of the signed timestamp: anymail checks Mailgun, SendGrid and Svix (Resend)
  signatures but accepts any timestamp, so requests (and Amazon SNS messages, by their
  signed ``Timestamp``) more than ``PORTO_WEBHOOK_MAX_AGE`` seconds (default 300) off are
  refused.

Every refusal raises ``WebhookAuthError`` (an anymail ``AnymailWebhookValidationFailure``,
a ``SuspiciousOperation``): inside a webhook view it becomes an HTTP 400 by itself.
"""

import datetime as dt

from django.http import HttpRequest

from porto.mail.feedback.webhook_gate import credentials_missing
from porto.mail.providers import provider_get
from porto.mail.providers.base.auth import (
    CertificateFetcher,
    Verification,
    WebhookAuthError,
    WebhookCredentialsMissing,
)

# What anymail's validators raise on a body of the wrong shape (they trust the provider).
_MALFORMED = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    UnicodeDecodeError,
    RecursionError,
)


def webhook_freshness_check(
    provider: str, request: HttpRequest, *, now: dt.datetime | None = None
) -> None:
    """Refuse a stale signed request of ``provider``; providers without a signed time pass."""
    provider_get(provider).auth.freshness_check(request, now=now)


def webhook_authenticate(
    provider: str,
    request: HttpRequest,
    *,
    now: dt.datetime | None = None,
    fetch_certificate: CertificateFetcher | None = None,
) -> None:
    """Raise ``WebhookAuthError`` unless ``request`` provably comes from ``provider``, now.

    A missing signing key is a configuration error, raised as such."""
    missing = credentials_missing(provider)
    if missing:
        raise WebhookCredentialsMissing(
            f"The {provider} webhook is not configured: set {', '.join(missing)}. "
            "Every request is refused until then."
        )
    chosen = provider_get(provider)
    verification = Verification(chosen.webhook.view_class, now, fetch_certificate)
    try:
        chosen.auth.verify(request, verification)
        chosen.auth.freshness_check(request, now=now)
    except _MALFORMED as error:  # a validator reading a body of the wrong shape
        raise WebhookAuthError(
            f"The {provider} webhook request could not be checked: its body is malformed "
            f"({type(error).__name__}: {error})."
        ) from error

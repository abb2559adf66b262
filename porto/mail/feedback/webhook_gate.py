"""Which provider webhook URLs exist at all, and what makes one request distinct: deny by default.

- An endpoint exists only for a provider Porto sends through (``PORTO_MAIL_TRANSPORT=provider``
  with ``PORTO_ANYMAIL_BACKEND``), plus the providers listed in
  ``PORTO_WEBHOOK_RETIRED_PROVIDERS`` (sent through before a switch: their late events still
  count). Every other provider's URL is a 404.
- Its URL holds an unguessable token, ``HMAC-SHA256(PORTO_WEBHOOK_SECRET or SECRET_KEY,
  provider)``: ``/webhooks/<provider>/<token>/``. A wrong token is a 404 as well.
- Each provider's own credentials (``Provider.auth.credentials``) are required: without them
  the endpoint refuses every request, and the system check ``porto.E610`` says what to set.
- ``delivery_key`` names one delivery (the provider's ``auth.delivery_id``: the Mailgun
  signature token, the Svix id, the SNS message id; else a hash of the body): a replay is
  recognised by it.
"""

import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from porto.mail.providers import PROVIDERS, provider_of_backend

TOKEN_LENGTH = 40  # hex characters of the HMAC: 160 bits


# --- Which endpoints exist -----------------------------------------------------------------


def live_providers() -> list[str]:
    """The providers whose webhooks Porto listens to: the one it sends through, and retired ones."""
    live = []
    if settings.PORTO_MAIL_TRANSPORT == "provider":
        live.append(provider_of_backend(settings.PORTO_ANYMAIL_BACKEND))
    for name in getattr(settings, "PORTO_WEBHOOK_RETIRED_PROVIDERS", []):
        if name not in live:
            live.append(name)
    return live


def webhook_token(provider: str) -> str:
    secret = getattr(settings, "PORTO_WEBHOOK_SECRET", "") or settings.SECRET_KEY
    digest = hmac.new(
        secret.encode("utf-8"), f"porto-webhook:{provider}".encode(), hashlib.sha256
    ).hexdigest()
    return digest[:TOKEN_LENGTH]


def webhook_path(provider: str) -> str:
    return reverse(
        "provider_webhook", kwargs={"provider": provider, "token": webhook_token(provider)}
    )


def webhook_gate_open(provider: str, token: str) -> bool:
    """True when ``provider`` is live, known to Porto, and ``token`` is its URL's token."""
    if provider not in PROVIDERS or provider not in live_providers():
        return False
    return constant_time_compare(token, webhook_token(provider))


def credentials_missing(provider: str) -> list[str]:
    """The settings ``provider``'s webhook still needs (all of them for an unknown provider)."""
    if provider not in PROVIDERS:
        return [f"(Porto has no webhook for {provider!r})"]
    return PROVIDERS[provider].auth.missing()


# --- What makes one delivery distinct ------------------------------------------------------


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def delivery_key(provider: str, request: HttpRequest) -> str:
    """``<provider>:<kind>:<id>``: the provider's delivery id, else ``sha256`` of the body."""
    source = PROVIDERS[provider].auth.delivery_id if provider in PROVIDERS else None
    delivery_id = source.read(request) if source else ""
    if source and delivery_id:
        return f"{provider}:{source.kind}:{delivery_id}"
    return f"{provider}:sha256:{body_digest(request.body)}"

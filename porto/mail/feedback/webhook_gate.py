"""Which provider webhook URLs exist at all, and what makes one request distinct: deny by default.

- An endpoint exists only for a provider Porto sends through (``PORTO_MAIL_TRANSPORT=provider``
  with ``PORTO_ANYMAIL_BACKEND``), plus the providers listed in
  ``PORTO_WEBHOOK_RETIRED_PROVIDERS`` (sent through before a switch: their late events still
  count). Every other provider's URL is a 404.
- Its URL holds an unguessable token, ``HMAC-SHA256(PORTO_WEBHOOK_SECRET or SECRET_KEY,
  provider)``: ``/webhooks/<provider>/<token>/``. A wrong token is a 404 as well.
- Each provider's own credentials (below) are required: without them the endpoint refuses
  every request, and the system check ``porto.E610`` says what to set.
- ``delivery_key`` names one delivery (the Mailgun signature token, the Svix id, the SNS
  message id, else a hash of the body): a replay is recognised by it.
"""

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from anymail.utils import get_anymail_setting
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from porto.mail.feedback.refresh.policies import provider_of_backend

TOKEN_LENGTH = 40  # hex characters of the HMAC: 160 bits


@dataclass(frozen=True)
class Credential:
    """One setting a provider's webhook needs; ``present`` says whether it is configured."""

    setting: str
    present: Callable[[], bool]


def _anymail(name: str, esp_name: str | None = None) -> Callable[[], bool]:
    def present() -> bool:
        return bool(get_anymail_setting(name, esp_name=esp_name, default=None, allow_bare=True))

    return present


def _any_of(*checks: Callable[[], bool]) -> Callable[[], bool]:
    return lambda: any(check() for check in checks)


def _sns_topics() -> bool:
    return bool(getattr(settings, "PORTO_SNS_TOPIC_ARNS", []))


BASIC_AUTH = Credential("ANYMAIL_WEBHOOK_SECRET", _anymail("webhook_secret"))

# What each provider's webhook proves its sender with; all of them are required.
CREDENTIALS: dict[str, tuple[Credential, ...]] = {
    "postmark": (BASIC_AUTH,),
    "brevo": (BASIC_AUTH,),
    "mailjet": (BASIC_AUTH,),
    "sparkpost": (BASIC_AUTH,),
    "mailgun": (
        Credential(
            "ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY",
            _any_of(_anymail("webhook_signing_key", "Mailgun"), _anymail("api_key", "Mailgun")),
        ),
    ),
    "sendgrid": (
        Credential(
            "ANYMAIL_SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
            _anymail("tracking_webhook_verification_key", "SendGrid"),
        ),
    ),
    "resend": (Credential("ANYMAIL_RESEND_SIGNING_SECRET", _anymail("signing_secret", "Resend")),),
    "postal": (Credential("ANYMAIL_POSTAL_WEBHOOK_KEY", _anymail("webhook_key", "Postal")),),
    "amazon_ses": (Credential("PORTO_SNS_TOPIC_ARNS", _sns_topics),),
}


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
    if provider not in CREDENTIALS or provider not in live_providers():
        return False
    return constant_time_compare(token, webhook_token(provider))


def credentials_missing(provider: str) -> list[str]:
    """The settings ``provider``'s webhook still needs (all of them for an unknown provider)."""
    required = CREDENTIALS.get(provider)
    if required is None:
        return [f"(Porto has no webhook for {provider!r})"]
    return [credential.setting for credential in required if not credential.present()]


# --- What makes one delivery distinct ------------------------------------------------------


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _json_field(body: bytes, *path: str) -> str:
    try:
        value = json.loads(body)
        for name in path:
            value = value[name]
    except (ValueError, KeyError, TypeError, IndexError):
        return ""
    return value if isinstance(value, str) else ""


def _mailgun_token(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        return _json_field(request.body, "signature", "token")
    return str(request.POST.get("token", ""))


def _svix_id(request: HttpRequest) -> str:
    return request.headers.get("svix-id") or request.headers.get("webhook-id") or ""


# A provider's own id for one delivery (signed, or inside the signed body), when it has one.
DELIVERY_IDS: dict[str, tuple[str, Callable[[HttpRequest], str]]] = {
    "mailgun": ("token", _mailgun_token),
    "resend": ("svix", _svix_id),
    "amazon_ses": ("sns", lambda request: _json_field(request.body, "MessageId")),
}


def delivery_key(provider: str, request: HttpRequest) -> str:
    """``<provider>:<kind>:<id>``: the provider's delivery id, else ``sha256`` of the body."""
    kind, id_of = DELIVERY_IDS.get(provider, ("", lambda request: ""))
    delivery_id = id_of(request)
    if delivery_id:
        return f"{provider}:{kind}:{delivery_id}"
    return f"{provider}:sha256:{body_digest(request.body)}"

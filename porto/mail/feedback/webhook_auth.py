"""Webhook authentication that anymail does not do.

- Amazon SNS message signatures (SignatureVersion 1: RSA SHA-1, 2: RSA SHA-256), with the
  signing certificate fetched only over HTTPS from ``sns.<region>.amazonaws.com`` and the
  topic checked against ``PORTO_SNS_TOPIC_ARNS``.
- Postal's signatures: ``X-Postal-Signature`` (RSA SHA-1) and ``X-Postal-Signature-256``
  (RSA SHA-256) of the raw body, with the server's public key.
- Freshness of signed requests: anymail checks Mailgun, SendGrid and Svix (Resend)
  signatures but accepts any timestamp, so a captured request could be replayed forever.
  Requests (and Amazon SNS messages, by their signed ``Timestamp``) more than
  ``PORTO_WEBHOOK_MAX_AGE`` seconds (default 300) off are refused.
- Configuration: an endpoint whose credentials are not configured refuses every request
  (``webhook_gate.credentials_missing``), never falls open.

Every refusal raises ``WebhookAuthError``: an anymail ``AnymailWebhookValidationFailure``
(a ``SuspiciousOperation``), so inside a webhook view it becomes an HTTP 400 by itself.
"""

import base64
import binascii
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.utils import get_anymail_setting, get_request_basic_auth
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from porto.mail.feedback.classify import provider_get
from porto.mail.feedback.webhook_gate import credentials_missing


class WebhookAuthError(AnymailWebhookValidationFailure):
    """The request is not proven to come from the provider: answer 4xx, record nothing."""


class WebhookCredentialsMissing(WebhookAuthError):
    """The endpoint's credentials are not configured: every request is refused."""


# --- Amazon SNS ----------------------------------------------------------------------------

# The fields SNS signs, in its order; optional ones are skipped when absent.
SNS_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SNS_OPTIONAL_FIELDS = {"Subject"}
SNS_SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
SNS_CERT_HOST = re.compile(r"sns\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")

CertificateFetcher = Callable[[str], bytes]

_certificates: dict[str, x509.Certificate] = {}
_certificates_lock = threading.Lock()
_CERTIFICATE_CACHE_SIZE = 32


def sns_certificate_fetch(url: str) -> bytes:
    """Download a signing certificate (TLS verified; the URL was pinned before)."""
    response = requests.get(url, timeout=5, allow_redirects=False)
    response.raise_for_status()
    return response.content


def sns_certificate_cache_clear() -> None:
    with _certificates_lock:
        _certificates.clear()


def _sns_field(message: Mapping[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise WebhookAuthError(f"The Amazon SNS message has no {name}: it cannot be verified.")
    return value


def _sns_allowed_topics(allowed_topics: list[str] | None) -> list[str]:
    if allowed_topics is None:
        allowed_topics = list(getattr(settings, "PORTO_SNS_TOPIC_ARNS", []))
    return allowed_topics


def _sns_check_topic(topic_arn: str, allowed_topics: list[str]) -> str:
    """The topic's region, once the topic is known to be one of ours."""
    if not allowed_topics:
        raise WebhookAuthError(
            "No Amazon SNS topic is allowed: list your topic ARNs in PORTO_SNS_TOPIC_ARNS."
        )
    if topic_arn not in allowed_topics:
        raise WebhookAuthError(
            f"The Amazon SNS topic {topic_arn!r} is not one of PORTO_SNS_TOPIC_ARNS."
        )
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns":
        raise WebhookAuthError(f"{topic_arn!r} is not an Amazon SNS topic ARN.")
    return parts[3]


def _sns_check_cert_url(url: str, region: str) -> None:
    parts = urlsplit(url)
    host = SNS_CERT_HOST.fullmatch(parts.hostname or "")
    if (
        parts.scheme != "https"
        or parts.netloc != parts.hostname  # no port, no user info
        or host is None
        or host.group(1) != region
        or not parts.path.endswith(".pem")
    ):
        raise WebhookAuthError(
            f"The SNS signing certificate URL {url!r} is not an https URL on "
            f"sns.{region}.amazonaws.com: refusing to trust it."
        )


def _sns_certificate(url: str, fetch: CertificateFetcher) -> x509.Certificate:
    with _certificates_lock:
        cached = _certificates.get(url)
    if cached is not None:
        return cached
    try:
        certificate = x509.load_pem_x509_certificate(fetch(url))
    except (requests.RequestException, OSError) as error:
        raise WebhookAuthError(
            f"Could not download the SNS signing certificate {url}: {error}"
        ) from error
    except ValueError as error:
        raise WebhookAuthError(f"{url} is not a PEM certificate.") from error
    with _certificates_lock:
        if len(_certificates) >= _CERTIFICATE_CACHE_SIZE:
            _certificates.clear()
        _certificates[url] = certificate
    return certificate


def _sns_check_validity(certificate: x509.Certificate, now: dt.datetime) -> None:
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise WebhookAuthError("The SNS signing certificate is not valid at this time.")


def sns_string_to_sign(message: Mapping[str, Any]) -> bytes:
    fields = SNS_SIGNED_FIELDS.get(str(message.get("Type")))
    if fields is None:
        raise WebhookAuthError(f"Unknown Amazon SNS message type {message.get('Type')!r}.")
    lines = []
    for name in fields:
        if name in SNS_OPTIONAL_FIELDS and name not in message:
            continue
        value = message.get(name)
        if not isinstance(value, str):
            raise WebhookAuthError(f"The Amazon SNS message has no {name}: it cannot be verified.")
        lines.append(f"{name}\n{value}\n")
    return "".join(lines).encode("utf-8")


def _sns_check_signature(message: Mapping[str, Any], certificate: x509.Certificate) -> None:
    version = message.get("SignatureVersion")
    algorithm = SNS_SIGNATURE_HASHES.get(str(version))
    if algorithm is None:
        raise WebhookAuthError(f"Unsupported Amazon SNS SignatureVersion {version!r}.")
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise WebhookAuthError("The SNS signing certificate does not hold an RSA key.")
    try:
        signature = base64.b64decode(_sns_field(message, "Signature"), validate=True)
        public_key.verify(signature, sns_string_to_sign(message), padding.PKCS1v15(), algorithm())
    except (InvalidSignature, binascii.Error) as error:
        raise WebhookAuthError("The Amazon SNS message signature is wrong.") from error


def sns_message_verify(
    body: bytes,
    *,
    allowed_topics: list[str] | None = None,
    fetch_certificate: CertificateFetcher | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The SNS message of a request body, once its topic, certificate and signature check out."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise WebhookAuthError("The Amazon SNS request body is not JSON.") from error
    if not isinstance(message, dict):
        raise WebhookAuthError("The Amazon SNS request body is not a JSON object.")
    region = _sns_check_topic(_sns_field(message, "TopicArn"), _sns_allowed_topics(allowed_topics))
    url = _sns_field(message, "SigningCertURL")
    _sns_check_cert_url(url, region)
    certificate = _sns_certificate(url, fetch_certificate or sns_certificate_fetch)
    _sns_check_validity(certificate, now or timezone.now())
    _sns_check_signature(message, certificate)
    return message


# --- Postal --------------------------------------------------------------------------------

# Strongest first: when Postal sends the SHA-256 signature, only that one counts.
POSTAL_SIGNATURE_HEADERS = (
    ("X-Postal-Signature-256", hashes.SHA256),
    ("X-Postal-Signature", hashes.SHA1),
)


def _postal_public_key(public_key: str) -> rsa.RSAPublicKey:
    """Postal's key as its web UI shows it (bare base64) or as a PEM block."""
    pem = public_key.strip()
    if not pem.startswith("-----BEGIN"):
        pem = f"-----BEGIN PUBLIC KEY-----\n{pem}\n-----END PUBLIC KEY-----"
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise WebhookAuthError(
            "The Postal public key in the settings is not a valid key: copy it again from "
            "Postal's server settings."
        ) from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookAuthError("The Postal public key in the settings is not an RSA key.")
    return key


def _postal_signature(headers: Mapping[str, str]) -> tuple[str, type[hashes.HashAlgorithm], str]:
    for header, algorithm in POSTAL_SIGNATURE_HEADERS:
        signature = headers.get(header)
        if signature:
            return header, algorithm, signature
    raise WebhookAuthError(
        "The Postal request is not signed (no X-Postal-Signature-256 or X-Postal-Signature)."
    )


def postal_signature_verify(body: bytes, headers: Mapping[str, str], public_key: str) -> None:
    """Raise unless Postal signed ``body`` (SHA-256 when sent, else SHA-1)."""
    header, algorithm, signature = _postal_signature(headers)
    key = _postal_public_key(public_key)
    try:
        key.verify(
            base64.b64decode(signature, validate=True), body, padding.PKCS1v15(), algorithm()
        )
    except (InvalidSignature, binascii.Error) as error:
        raise WebhookAuthError(f"The Postal {header} signature is wrong.") from error


# --- Freshness of signed requests ----------------------------------------------------------


def _max_age() -> float:
    return float(getattr(settings, "PORTO_WEBHOOK_MAX_AGE", 300))


def timestamp_check(
    value: object, *, source: str, now: dt.datetime | None = None, max_age: float | None = None
) -> None:
    """Raise unless ``value`` (Unix seconds) is within the allowed age, either way."""
    try:
        stamp = float(str(value).strip())
    except ValueError:
        stamp = float("nan")
    if stamp != stamp or stamp in (float("inf"), float("-inf")):  # NaN or infinite
        raise WebhookAuthError(f"The {source} request has no valid signed timestamp: {value!r}.")
    limit = _max_age() if max_age is None else max_age
    offset = (now or timezone.now()).timestamp() - stamp
    if abs(offset) > limit:
        raise WebhookAuthError(
            f"The {source} request was signed {offset:+.0f} seconds from now, more than the "
            f"{limit:.0f} allowed (PORTO_WEBHOOK_MAX_AGE): refused as stale or replayed. "
            "Check both clocks if this repeats."
        )


def _mailgun_timestamp(request: HttpRequest) -> object:
    if request.content_type == "application/json":
        try:
            return json.loads(request.body)["signature"]["timestamp"]
        except (ValueError, KeyError, TypeError):
            return None
    return request.POST.get("timestamp")


def _sendgrid_timestamp(request: HttpRequest) -> object:
    return request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp")


def _svix_timestamp(request: HttpRequest) -> object:
    return request.headers.get("svix-timestamp") or request.headers.get("webhook-timestamp")


def _sns_timestamp(request: HttpRequest) -> object:
    """The signed ``Timestamp`` of an SNS message (ISO 8601) as Unix seconds."""
    try:
        stamp = json.loads(request.body)["Timestamp"]
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        return None


SIGNED_TIMESTAMPS: dict[str, tuple[str, Callable[[HttpRequest], object]]] = {
    "mailgun": ("Mailgun", _mailgun_timestamp),
    "sendgrid": ("SendGrid", _sendgrid_timestamp),
    "resend": ("Resend", _svix_timestamp),
    "amazon_ses": ("Amazon SNS", _sns_timestamp),
}


def webhook_freshness_check(
    provider: str, request: HttpRequest, *, now: dt.datetime | None = None
) -> None:
    """Refuse a stale signed request of ``provider``; providers without a signed time pass."""
    entry = SIGNED_TIMESTAMPS.get(provider)
    if entry is None:
        return
    source, timestamp_of = entry
    timestamp_check(timestamp_of(request), source=source, now=now)


# --- One call per request ------------------------------------------------------------------


def _basic_auth_check(request: HttpRequest) -> None:
    """anymail's shared basic auth (ANYMAIL["WEBHOOK_SECRET"]), when one is configured."""
    allowed = get_anymail_setting("webhook_secret", default=[])
    allowed = [allowed] if isinstance(allowed, str) and allowed else list(allowed or [])
    sent = get_request_basic_auth(request) or ""
    if allowed and not any(constant_time_compare(sent, secret) for secret in allowed):
        raise WebhookAuthError("Missing or wrong basic auth in the webhook URL.")


def _postal_check(request: HttpRequest, **_options: Any) -> None:
    _basic_auth_check(request)
    key = get_anymail_setting("webhook_key", esp_name="Postal", allow_bare=True)
    postal_signature_verify(request.body, request.headers, key)


def _sns_check(request: HttpRequest, **kwargs: Any) -> None:
    _basic_auth_check(request)
    sns_message_verify(request.body, **kwargs)


def _anymail_check(provider: str, request: HttpRequest) -> None:
    provider_get(provider).view_class().run_validators(request)


# Where anymail's own checks fall short, Porto's replace them.
OWN_CHECKS: dict[str, Callable[..., None]] = {"postal": _postal_check, "amazon_ses": _sns_check}


def webhook_authenticate(
    provider: str,
    request: HttpRequest,
    *,
    now: dt.datetime | None = None,
    fetch_certificate: CertificateFetcher | None = None,
) -> None:
    """Raise ``WebhookAuthError`` unless ``request`` provably comes from ``provider``, now.

    anymail's checks (basic auth, provider signatures) for most providers; Porto's for
    Postal (SHA-256) and Amazon SNS (message signatures); then the freshness of signed
    timestamps. A missing signing key is a configuration error, raised as such.
    """
    missing = credentials_missing(provider)
    if missing:
        raise WebhookCredentialsMissing(
            f"The {provider} webhook is not configured: set {', '.join(missing)}. "
            "Every request is refused until then."
        )
    try:
        own_check = OWN_CHECKS.get(provider)
        if own_check is not None:
            own_check(request, fetch_certificate=fetch_certificate, now=now)
        else:
            _anymail_check(provider, request)
        webhook_freshness_check(provider, request, now=now)
    except _MALFORMED as error:  # a validator reading a body of the wrong shape
        raise WebhookAuthError(
            f"The {provider} webhook request could not be checked: its body is malformed "
            f"({type(error).__name__}: {error})."
        ) from error


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

"""Amazon SNS message signatures, which anymail does not check.

SignatureVersion 1 (RSA SHA-1) and 2 (RSA SHA-256), with the signing certificate fetched
only over HTTPS from ``sns.<region>.amazonaws.com`` and the topic checked against
``PORTO_SNS_TOPIC_ARNS``. The signed ``Timestamp`` is the request's signed time.
"""

import base64
import binascii
import datetime as dt
import json
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from porto.mail.providers.base.auth import (
    CertificateFetcher,
    Verification,
    WebhookAuthError,
    basic_auth_check,
    json_field,
)

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


def sns_verify(request: HttpRequest, verification: Verification) -> None:
    basic_auth_check(request)
    sns_message_verify(
        request.body, fetch_certificate=verification.fetch_certificate, now=verification.now
    )


def sns_timestamp(request: HttpRequest) -> object:
    """The signed ``Timestamp`` of an SNS message (ISO 8601) as Unix seconds."""
    try:
        stamp = json.loads(request.body)["Timestamp"]
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        return None


def sns_message_id(request: HttpRequest) -> str:
    return json_field(request.body, "MessageId")


def sns_topics_present() -> bool:
    return bool(getattr(settings, "PORTO_SNS_TOPIC_ARNS", []))

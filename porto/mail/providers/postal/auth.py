"""Postal's signatures, which anymail checks only with SHA-1: ``X-Postal-Signature-256``
(RSA SHA-256) and ``X-Postal-Signature`` (RSA SHA-1) of the raw body, with the server's
public key."""

import base64
import binascii
from collections.abc import Mapping

from anymail.utils import get_anymail_setting
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.http import HttpRequest

from porto.mail.providers.base.auth import Verification, WebhookAuthError, basic_auth_check

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


def postal_verify(request: HttpRequest, verification: Verification) -> None:
    basic_auth_check(request)
    key = get_anymail_setting("webhook_key", esp_name="Postal", allow_bare=True)
    postal_signature_verify(request.body, request.headers, key)

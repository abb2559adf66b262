"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The secret is ``whsec_`` followed by the base64 of random bytes; the signature is
``v1,`` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")).
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secrets: Sequence[str], message_id: str, timestamp: int, body: str
) -> dict[str, str]:
    """One signature per secret, space-separated (a receiver accepts the message if one of
    them matches its secret: how a secret is rotated without refusing events)."""
    signatures = " ".join(signature(s, message_id, timestamp, body) for s in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }

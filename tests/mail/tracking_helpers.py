"""Signed webhook requests as each provider sends them, and emails for their events to match."""

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from porto.mail.feedback.webhook_gate import webhook_path
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.providers.amazon_ses import auth as sns_auth
from tests.factories import make_client, make_document

from .crypto_helpers import (
    public_key_base64,
    rsa_key,
    rsa_sign,
    self_signed_certificate,
    sns_documented_string_to_sign,
)

PAYLOADS = Path(__file__).parent / "payloads"
BASIC = "porto:s3cret-webhook-password"
MAILGUN_KEY = "porto-test-mailgun-signing-key"
RESEND_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:porto-ses-events"
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())


def payload(provider: str, name: str) -> bytes:
    return (PAYLOADS / provider / f"{name}.json").read_bytes()


def basic_auth(credentials: str = BASIC) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


def anymail_settings() -> dict[str, str]:
    public_der = SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "WEBHOOK_SECRET": BASIC,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "POSTAL_WEBHOOK_KEY": public_key_base64(rsa_key("postal")),
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": base64.b64encode(public_der).decode(),
        "RESEND_SIGNING_SECRET": RESEND_SECRET,
    }


def sns_certificate() -> bytes:
    return self_signed_certificate(rsa_key("sns"))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Signed:
    """(body, extra headers as Django test client keyword arguments)."""

    @staticmethod
    def mailgun(body: bytes, at: dt.datetime | None = None, key: str = MAILGUN_KEY):
        data = json.loads(body)
        timestamp = str(int((at or now()).timestamp()))
        token = data["signature"]["token"]
        data["signature"] = {
            "timestamp": timestamp,
            "token": token,
            "signature": hmac.new(
                key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
            ).hexdigest(),
        }
        return json.dumps(data).encode(), {}

    @staticmethod
    def sendgrid(body: bytes, at: dt.datetime | None = None, private=None):
        timestamp = str(int((at or now()).timestamp()))
        signature = (private or SENDGRID_KEY).sign(
            timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
        )
        return body, {
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
        }

    @staticmethod
    def resend(body: bytes, at: dt.datetime | None = None, secret: str = RESEND_SECRET):
        from svix.webhooks import Webhook

        at = at or now()
        msg_id = "msg_" + hashlib.sha256(body).hexdigest()[:24]
        signature = Webhook(secret).sign(msg_id, at, body.decode())
        return body, {
            "HTTP_SVIX_ID": msg_id,
            "HTTP_SVIX_TIMESTAMP": str(int(at.timestamp())),
            "HTTP_SVIX_SIGNATURE": signature,
        }

    @staticmethod
    def postal(body: bytes, key_name: str = "postal"):
        return body, {"HTTP_X_POSTAL_SIGNATURE_256": rsa_sign(rsa_key(key_name), body)}

    @staticmethod
    def amazon_ses(body: bytes, key_name: str = "sns", **overrides):
        """Signed as SNS signs, published now unless ``Timestamp`` says otherwise."""
        message = json.loads(body)
        published = now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        message.update(
            {"TopicArn": TOPIC, "SignatureVersion": "2", "Timestamp": published, **overrides}
        )
        message["Signature"] = rsa_sign(
            rsa_key(key_name), sns_documented_string_to_sign(message), hashes.SHA256
        )
        return json.dumps(message).encode(), {
            "HTTP_X_AMZ_SNS_MESSAGE_TYPE": message["Type"],
            "HTTP_X_AMZ_SNS_MESSAGE_ID": message["MessageId"],
        }

    @staticmethod
    def unsigned(body: bytes):
        return body, {}


def content_type(provider: str) -> str:
    return "text/plain; charset=utf-8" if provider == "amazon_ses" else "application/json"


def make_live(settings, provider: str) -> None:
    """Porto sends through ``provider``: its webhook URL exists."""
    settings.PORTO_MAIL_TRANSPORT = "provider"
    settings.PORTO_ANYMAIL_BACKEND = f"anymail.backends.{provider}.EmailBackend"


def post_webhook(http, provider: str, body: bytes, headers: dict, auth: dict | None = None):
    """POST to the provider's webhook URL (with its token)."""
    return http.post(
        webhook_path(provider),
        data=body,
        content_type=content_type(provider),
        **(basic_auth() if auth is None else auth),
        **headers,
    )


def email_with(company, addresses: list[str], provider_message_id: str = "", **fields):
    """An email already handed to a provider that answered with ``provider_message_id``."""
    client = make_client(company, emails=(addresses[0],))
    email = OutgoingEmail.objects.create(
        company=company,
        document=make_document(company, client),
        transport=fields.pop("transport", "provider"),
        from_name="Acme BV",
        from_address="acme-bv@send.example",
        subject="Factuur 2026/0042",
        body_text="Beste klant",
        language="nl",
        file_format="pdf",
        message_id=fields.pop("message_id", f"porto.{len(addresses)}.{id(addresses)}@send.example"),
        state=OutgoingEmail.State.SENT,
        handed_off_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
        **fields,
    )
    for position, address in enumerate(addresses):
        Recipient.objects.create(
            email=email,
            address=address,
            position=position,
            provider_message_id=provider_message_id,
            accepted_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
        )
    return email


@contextmanager
def provider_credentials(settings, monkeypatch) -> Iterator:
    """Every provider's webhook credentials configured; SNS's signing certificate served from
    here instead of AWS."""
    settings.ANYMAIL = anymail_settings()
    settings.PORTO_SNS_TOPIC_ARNS = [TOPIC]
    certificate = sns_certificate()
    monkeypatch.setattr(sns_auth, "sns_certificate_fetch", lambda url: certificate)
    sns_auth.sns_certificate_cache_clear()
    try:
        yield settings
    finally:
        sns_auth.sns_certificate_cache_clear()

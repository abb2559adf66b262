"""Real keys and certificates made in the test run, for signed webhook requests."""

import base64
import datetime as dt
import functools

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


@functools.cache
def rsa_key(name: str = "default") -> rsa.RSAPrivateKey:
    """One 2048-bit key per name, made once per test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_key_base64(key: rsa.RSAPrivateKey) -> str:
    """The public key as Postal's UI shows it: the PEM body on one line, no armour."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def rsa_sign(key: rsa.RSAPrivateKey, data: bytes, algorithm=hashes.SHA256) -> str:
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), algorithm())).decode("ascii")


def self_signed_certificate(
    key: rsa.RSAPrivateKey,
    common_name: str = "sns.amazonaws.com",
    not_before: dt.datetime | None = None,
    days: int = 365,
) -> bytes:
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


# Amazon SNS: the fields signed per message type, in this order, each as "Name\nValue\n"
# ("Verifying the signatures of Amazon SNS messages", Amazon SNS Developer Guide). Written out
# here from the documentation so that the tests check the production code against it.
SNS_DOCUMENTED_FIELDS = {
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


def sns_documented_string_to_sign(message: dict) -> bytes:
    """The bytes SNS signs; a Notification's Subject only when the message has one."""
    names = SNS_DOCUMENTED_FIELDS[message["Type"]]
    return "".join(f"{name}\n{message[name]}\n" for name in names if name in message).encode()

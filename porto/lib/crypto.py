"""Secrets at rest (SMTP and IMAP passwords): Fernet with rotating keys.

``settings.PORTO_FERNET_KEYS`` lists the keys, newest first: the first one encrypts, every one
of them decrypts, so a key can be rotated by putting a new key in front and running
``manage.py rotate_secrets``. With no keys configured (development) one key is derived from
``SECRET_KEY``; production sets its own.
"""

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

logger = logging.getLogger(__name__)


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys can decrypt."""


def derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(b"porto.lib.crypto:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def configured_keys() -> list[bytes]:
    keys = [str(k).strip().encode() for k in getattr(settings, "PORTO_FERNET_KEYS", []) if k]
    return keys or [derived_key(settings.SECRET_KEY)]


def fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in configured_keys()])
    except ValueError as error:
        raise ImproperlyConfigured(
            "PORTO_FERNET_KEYS holds a key that is not a Fernet key (32 url-safe base64 bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from error


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("No configured key decrypts this secret.") from error


def rotate(token: str) -> str:
    """The same secret, encrypted again with the newest key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("No configured key decrypts this secret.") from error


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; the model instance holds the plain ``str``.

    The empty string stays empty (nothing to hide, and "no password" stays visible). A value
    that no key decrypts reads as "" and is logged, so a lost key shows as "no password
    stored" instead of a crash; saving a new password repairs it.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return decrypt(value)
        except SecretUnreadable:
            logger.error("A stored secret (%s) cannot be decrypted with PORTO_FERNET_KEYS.", self)
            return ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(value)

"""API tokens (per company, stored hashed) and the stored answers to idempotent requests."""

import hashlib
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company
from porto.lib.crypto import EncryptedTextField

TOKEN_PREFIX = "porto_"
SECRET_BYTES = 32
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
LAST_USED_PRECISION = timedelta(minutes=1)


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def secret_hash(secret: str) -> str:
    """SHA-256 is enough: the secret is 32 random bytes, not a password to stretch."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=SHOWN_PREFIX_LENGTH)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def needs_touch(self, now) -> bool:
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_PRECISION


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` (porto/api/idempotency.py)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    # Encrypted like every secret at rest: a first answer may carry one (a webhook secret).
    response_text = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="idempotency_key_once")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"

    @property
    def response_body(self):
        return json.loads(self.response_text) if self.response_text else None

    @response_body.setter
    def response_body(self, data) -> None:
        self.response_text = json.dumps(data, cls=DjangoJSONEncoder)

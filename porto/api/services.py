"""Writes of the API app: tokens and the cleanup of idempotency keys."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from porto.accounts.models import Company
from porto.api.models import (
    LAST_USED_PRECISION,
    SHOWN_PREFIX_LENGTH,
    ApiToken,
    IdempotencyKey,
    new_secret,
    secret_hash,
)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once to its creator, never stored


def token_create(company: Company, user, name: str) -> NewToken:
    secret = new_secret()
    token = ApiToken.objects.create(
        company=company,
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        secret_hash=secret_hash(secret),
        created_by=user,
    )
    return NewToken(token=token, secret=secret)


def token_revoke(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_touch(token: ApiToken) -> None:
    """Record the use, at most once a minute: one conditional UPDATE, none in between."""
    now = timezone.now()
    if not token.needs_touch(now):
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def idempotency_keys_purge(now=None) -> int:
    """Forget the keys older than PORTO_API_IDEMPOTENCY_HOURS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PORTO_API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted

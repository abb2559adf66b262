"""The record every provider folder declares: everything Porto knows about one provider.

``porto/mail/providers/<name>/__init__.py`` sets ``PROVIDER = Provider(...)``; the registry
(``porto.mail.providers.PROVIDERS``) lists them, and every place that needs something per
provider reads it there.
"""

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from anymail.utils import get_anymail_setting
from django.conf import settings

from porto.mail.providers.base.auth import WebhookAuth
from porto.mail.providers.base.status import Policy, RateLimit, Recorder, StatusClient
from porto.mail.providers.base.webhook import WebhookParser

StrOrPromise = Any
ACCOUNT_LENGTH = 255  # OutgoingEmail.sent_account


@dataclass(frozen=True)
class SendQuirks:
    """What a provider's anymail backend accepts per message."""

    metadata: bool = True  # anymail's ``metadata``
    tracking_per_message: bool = True  # ``track_opens`` / ``track_clicks``


class Account(Protocol):
    def describe(self) -> str:
        """Which account of the provider: never a secret."""
        ...


def key_fingerprint(key: str) -> str:
    """12 hex digits of the key's SHA-256: tells two keys apart, reveals nothing of them."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ApiKeyAccount:
    """An account named by its API host and a fingerprint of its key."""

    esp_name: str  # anymail's name in its settings: "Postmark"
    key_setting: str  # "server_token", "api_key"
    default_api_url: str

    def describe(self) -> str:
        api_url = str(
            get_anymail_setting("api_url", esp_name=self.esp_name, default=self.default_api_url)
        )
        key = str(
            get_anymail_setting(
                self.key_setting, esp_name=self.esp_name, default="", allow_bare=True
            )
        )
        parts = [urlsplit(api_url).netloc or self.esp_name.lower()]
        if key:
            parts.append(f"key {key_fingerprint(key)}")
        return " ".join(parts)[:ACCOUNT_LENGTH]


@dataclass(frozen=True)
class Provider:
    """One provider: how Porto sends through it, hears from it, and asks it.

    ``status`` None says Porto cannot ask the provider about a sent message; then
    ``no_status_reason`` says why, in the words the user sees."""

    name: str  # Porto's name, the event source and ``sent_through``: "postmark"
    label: str  # as people write it: "Postmark"
    backends: tuple[str, ...]  # anymail's backend modules: anymail.backends.<x>.EmailBackend
    webhook: type[WebhookParser]
    auth: WebhookAuth
    status: type[StatusClient] | None
    retention_days: int  # how long the provider keeps its event log; 0: none to read
    rate: RateLimit  # how fast its API may be asked
    account: Account
    no_status_reason: StrOrPromise = ""
    retention_setting: str = ""  # a setting that overrides retention_days (it depends on the plan)
    quirks: SendQuirks = field(default_factory=SendQuirks)

    def __post_init__(self) -> None:
        if self.status is None and not self.no_status_reason:
            raise ValueError(f"{self.name}: a provider without a status client says why.")

    @cached_property
    def parser(self) -> WebhookParser:
        return self.webhook(self.name, self.label)

    @property
    def retention(self) -> int:
        if self.retention_setting:
            return int(getattr(settings, self.retention_setting))
        return self.retention_days

    @property
    def policy(self) -> Policy:
        return Policy(
            name=self.name,
            label=self.label,
            retention_days=self.retention,
            rate=self.rate,
            has_api=self.status is not None,
            no_api_reason=self.no_status_reason,
        )

    def status_client(
        self, recorder: Recorder, session: requests.Session | None = None
    ) -> StatusClient | None:
        if self.status is None:
            return None
        return self.status(self.policy, recorder, session=session)

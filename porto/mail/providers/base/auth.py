"""How a provider's webhook proves its sender: the parts every provider shares.

A provider declares a ``WebhookAuth``: the settings it needs (all required: without them
the endpoint refuses every request, never falls open), the check that proves the sender
(anymail's validators unless Porto has a stronger one: Postal, Amazon SNS), where its signed
timestamp is (anymail accepts any timestamp, so a captured request could be replayed
forever), and where its own id for one delivery is (to recognise a replay).

Every refusal raises ``WebhookAuthError``: an anymail ``AnymailWebhookValidationFailure``
(a ``SuspiciousOperation``), so inside a webhook view it becomes an HTTP 400 by itself.
"""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.utils import get_anymail_setting, get_request_basic_auth
from anymail.webhooks.base import AnymailCoreWebhookView
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

CertificateFetcher = Callable[[str], bytes]


class WebhookAuthError(AnymailWebhookValidationFailure):
    """The request is not proven to come from the provider: answer 4xx, record nothing."""


class WebhookCredentialsMissing(WebhookAuthError):
    """The endpoint's credentials are not configured: every request is refused."""


@dataclass(frozen=True)
class Credential:
    """One setting a provider's webhook needs; ``present`` says whether it is configured."""

    setting: str
    present: Callable[[], bool]


def anymail_setting(name: str, esp_name: str | None = None) -> Callable[[], bool]:
    def present() -> bool:
        return bool(get_anymail_setting(name, esp_name=esp_name, default=None, allow_bare=True))

    return present


def any_of(*checks: Callable[[], bool]) -> Callable[[], bool]:
    return lambda: any(check() for check in checks)


BASIC_AUTH = Credential("ANYMAIL_WEBHOOK_SECRET", anymail_setting("webhook_secret"))


@dataclass(frozen=True)
class Verification:
    """What a check may need besides the request."""

    view_class: type[AnymailCoreWebhookView]  # the provider's anymail tracking view
    now: dt.datetime | None = None
    fetch_certificate: CertificateFetcher | None = None


Verifier = Callable[[HttpRequest, Verification], None]


@dataclass(frozen=True)
class SignedTime:
    """Where a provider puts the signed time of a request (Unix seconds)."""

    source: str  # as the refusal names it: "Mailgun", "Amazon SNS"
    read: Callable[[HttpRequest], object]


@dataclass(frozen=True)
class DeliveryId:
    """Where a provider puts its own id for one delivery (signed, or in the signed body)."""

    kind: str  # "token", "svix", "sns"
    read: Callable[[HttpRequest], str]


def basic_auth_check(request: HttpRequest) -> None:
    """anymail's shared basic auth (ANYMAIL["WEBHOOK_SECRET"]), when one is configured."""
    allowed = get_anymail_setting("webhook_secret", default=[])
    allowed = [allowed] if isinstance(allowed, str) and allowed else list(allowed or [])
    sent = get_request_basic_auth(request) or ""
    if allowed and not any(constant_time_compare(sent, secret) for secret in allowed):
        raise WebhookAuthError("Missing or wrong basic auth in the webhook URL.")


def anymail_verify(request: HttpRequest, verification: Verification) -> None:
    """anymail's own checks: basic auth, and the provider's signature where it has one."""
    verification.view_class().run_validators(request)


@dataclass(frozen=True)
class WebhookAuth:
    credentials: tuple[Credential, ...]  # all required
    verify: Verifier = anymail_verify
    signed_time: SignedTime | None = None
    delivery_id: DeliveryId | None = None

    def missing(self) -> list[str]:
        return [credential.setting for credential in self.credentials if not credential.present()]

    def freshness_check(self, request: HttpRequest, now: dt.datetime | None = None) -> None:
        if self.signed_time is not None:
            stamp = self.signed_time.read(request)
            timestamp_check(stamp, source=self.signed_time.source, now=now)


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


def json_field(body: bytes, *path: str) -> str:
    """The text at ``path`` in a JSON body, "" when there is none."""
    try:
        value = json.loads(body)
        for name in path:
            value = value[name]
    except (ValueError, KeyError, TypeError, IndexError):
        return ""
    return value if isinstance(value, str) else ""

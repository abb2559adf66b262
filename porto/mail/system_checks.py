"""Django system checks for what Porto's mail needs configured (startup and ``check --deploy``).

- porto.E610: the live provider's webhook credentials are missing: its endpoint refuses every
  request, so no delivery, bounce or open would ever be recorded.
- porto.E611: the live provider is one Porto cannot receive events from.
- porto.E612: ``ANYMAIL_WEBHOOK_SECRET`` is not ``user:password``, the form providers put in
  the URL for basic auth.
"""

from anymail.utils import get_anymail_setting
from django.core.checks import CheckMessage, Error, Tags, register

from porto.mail.feedback.webhook_gate import credentials_missing, live_providers
from porto.mail.providers import PROVIDERS


@register(Tags.security)
def webhook_credentials_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for provider in live_providers():
        if provider not in PROVIDERS:
            errors.append(_unsupported(provider))
            continue
        missing = credentials_missing(provider)
        if missing:
            errors.append(_missing(provider, missing))
    return errors + _basic_auth_format_errors()


def _unsupported(provider: str) -> Error:
    known = ", ".join(sorted(PROVIDERS))
    return Error(
        f"Porto cannot receive delivery events from the live provider {provider!r}.",
        hint=f"Send through one of {known} (PORTO_ANYMAIL_BACKEND), or remove it from "
        "PORTO_WEBHOOK_RETIRED_PROVIDERS.",
        id="porto.E611",
    )


def _missing(provider: str, missing: list[str]) -> Error:
    return Error(
        f"Webhook credentials missing for the live provider {provider!r}: its webhook refuses "
        "every request, so no delivery, bounce or open is recorded.",
        hint=f"Set {', '.join(missing)} (see docs/tracking.md, 'The webhook gate').",
        id="porto.E610",
    )


def _basic_auth_format_errors() -> list[CheckMessage]:
    secret = get_anymail_setting("webhook_secret", default=None)
    secrets = [secret] if isinstance(secret, str) else list(secret or [])
    if all(":" in value for value in secrets):
        return []
    return [
        Error(
            "ANYMAIL_WEBHOOK_SECRET is not of the form user:password.",
            hint="Use a random user and password, e.g. 'porto:<random>', and the same in the "
            "provider's webhook URL.",
            id="porto.E612",
        )
    ]

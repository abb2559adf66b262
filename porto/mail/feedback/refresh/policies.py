"""How long each provider can still be asked about a message, and how fast: data, not code.

window = min(retention - margin, 25 days). A provider without a status API has no window:
Update status is refused with the reason. Pure: nothing here reads the database.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

StrOrPromise = Any

MAX_WINDOW = datetime.timedelta(days=25)
MARGIN = datetime.timedelta(days=1)


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float

    @property
    def interval(self) -> float:
        return self.per_seconds / self.requests


@dataclass(frozen=True)
class Policy:
    label: StrOrPromise
    retention_days: int  # 0: the provider has no status API
    rate: RateLimit
    no_api_reason: StrOrPromise = ""

    @property
    def has_api(self) -> bool:
        return self.retention_days > 0

    @property
    def window(self) -> datetime.timedelta:
        if not self.has_api:
            return datetime.timedelta(0)
        return min(datetime.timedelta(days=self.retention_days) - MARGIN, MAX_WINDOW)


def _policies() -> dict[str, Policy]:
    return {
        "postmark": Policy("Postmark", 45, RateLimit(10, 1)),
        "mailgun": Policy("Mailgun", 30, RateLimit(5, 1)),  # retention depends on the plan
        "sendgrid": Policy("SendGrid", 30, RateLimit(6, 60)),  # Email Activity API: 6/min
        "brevo": Policy("Brevo", 30, RateLimit(10, 1)),
        "resend": Policy("Resend", settings.PORTO_REFRESH_RESEND_RETENTION_DAYS, RateLimit(2, 1)),
        "postal": Policy("Postal", settings.PORTO_REFRESH_POSTAL_RETENTION_DAYS, RateLimit(10, 1)),
        "sparkpost": Policy("SparkPost", 10, RateLimit(5, 1)),
        "amazon_ses": Policy(
            "Amazon SES",
            0,
            RateLimit(1, 1),
            no_api_reason=_(
                "Amazon SES has no API to ask about a sent message: its status comes only "
                "from the notifications it sends."
            ),
        ),
        "mailjet": Policy("Mailjet", 30, RateLimit(5, 1)),
        # Porto's own stores: the sandbox inbox and the company's mailbox (IMAP).
        "sandbox": Policy(_("Sandbox"), 26, RateLimit(50, 1)),
        "smtp": Policy(_("Own mailbox (SMTP)"), 26, RateLimit(1, 5)),
    }


def policy_for(provider: str) -> Policy:
    policies = _policies()
    if provider not in policies:
        return Policy(
            provider,
            0,
            RateLimit(1, 1),
            no_api_reason=_("Porto cannot ask this provider about a sent message."),
        )
    return policies[provider]


def provider_of_backend(backend: str) -> str:
    """anymail.backends.postmark.EmailBackend → postmark (sendinblue is Brevo's old name)."""
    parts = backend.split(".")
    name = parts[-2] if len(parts) >= 2 else backend
    return {"sendinblue": "brevo"}.get(name, name)

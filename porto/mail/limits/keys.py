"""Which sending limits an email is subject to: keys with a rate.

- ``company:<id>``: every email a company sends through a provider or its own server, at
  PORTO_MAIL_COMPANY_PER_MINUTE (0, the default: none).
- ``smtp:<host>:<port>:<username>``: the company's own server account, at its
  "emails per minute" (30 by default); companies sharing one account share one bucket, at the
  strictest of their rates.
- ``provider:<name>:<account>``: the platform's provider account, at its rate in
  PORTO_MAIL_PROVIDER_RATES (none given: no limit).

The sandbox has no limit: nothing leaves the machine. Reading the keys of a batch costs no
statement when no limit applies, else one per company with own SMTP and one per server account.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min

from porto.emailsettings.models import EmailSettings, Method
from porto.mail import sources
from porto.mail.limits.rates import Rate, company_rate_parse, per_minute, provider_rates_parse
from porto.mail.models import OutgoingEmail, TransportName
from porto.mail.providers import PROVIDERS
from porto.mail.sent_through import configured_provider, provider_account

KEY_LENGTH = 200  # longer keys (a long host and user name) are shortened to a hash


@dataclass(frozen=True)
class Limit:
    key: str
    rate: Rate


def key_bounded(key: str) -> str:
    if len(key) <= KEY_LENGTH:
        return key
    kind = key.split(":", 1)[0]
    return f"{kind}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def provider_rates() -> dict[str, Rate]:
    return provider_rates_parse(settings.PORTO_MAIL_PROVIDER_RATES, set(PROVIDERS))


def company_rate() -> Rate | None:
    return company_rate_parse(settings.PORTO_MAIL_COMPANY_PER_MINUTE)


def limits_configured() -> None:
    """Read every limit setting once (at startup): a RateError says what is wrong."""
    provider_rates()
    company_rate()


def limits_of_batch(emails: Iterable[OutgoingEmail]) -> dict[int, list[Limit]]:
    """Per email, its limits: the company's first, then its way out's."""
    found: dict[int, list[Limit]] = {}
    company = company_rate()
    provider = provider_limit()
    servers = SmtpLimits()
    for email in emails:
        if email.transport == TransportName.SANDBOX:
            continue
        limits = [Limit(f"company:{email.company_id}", company)] if company else []
        if email.transport == TransportName.SMTP:
            limits.append(servers.limit_of(email))
        elif provider:
            limits.append(provider)
        if limits:
            found[email.pk] = limits
    return found


def provider_limit() -> Limit | None:
    name = configured_provider()
    rate = provider_rates().get(name)
    if not rate:
        return None
    return Limit(key_bounded(f"provider:{name}:{provider_account(name)}"), rate)


class SmtpLimits:
    """The own-SMTP limits of one batch: each company's settings and each server account's
    strictest rate read once."""

    def __init__(self) -> None:
        self.keys: dict[int, tuple[str, str, int, str]] = {}
        self.rates: dict[tuple[str, int, str], Rate] = {}

    def limit_of(self, email: OutgoingEmail) -> Limit:
        if email.company_id not in self.keys:
            own = sources.email_settings_for(email.company)
            host = own.smtp_host.lower()
            self.keys[email.company_id] = (
                key_bounded(f"smtp:{host}:{own.smtp_port}:{own.smtp_username}"),
                host,
                own.smtp_port,
                own.smtp_username,
            )
        key, host, port, username = self.keys[email.company_id]
        account = (host, port, username)
        if account not in self.rates:
            self.rates[account] = per_minute(server_per_minute(host, port, username))
        return Limit(key, self.rates[account])


def server_per_minute(host: str, port: int, username: str) -> int:
    """The strictest "emails per minute" of the companies sending through this account."""
    strictest = EmailSettings.objects.filter(
        method=Method.SMTP, smtp_host__iexact=host, smtp_port=port, smtp_username=username
    ).aggregate(least=Min("smtp_per_minute"))["least"]
    return strictest or EmailSettings._meta.get_field("smtp_per_minute").get_default()

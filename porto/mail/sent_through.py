"""Which way an email went and through which account, written on the email at hand-off.

``sent_through`` is "sandbox", "smtp" or the anymail provider's name ("postmark", "brevo", …);
``sent_account`` says which account of it: the SMTP server and login, or the provider's API
host and a fingerprint of its key (never the secret itself). A provider event only ever
changes emails sent through that provider, and Update status asks the provider the email
went through, not the one configured today.
"""

from django.conf import settings

from porto.mail import sources
from porto.mail.models import OutgoingEmail, TransportName
from porto.mail.providers import PROVIDERS, provider_of_backend

ACCOUNT_LENGTH = 255  # OutgoingEmail.sent_account


def configured_provider() -> str:
    """The provider the platform sends through today: "postmark", "amazon_ses", …"""
    return provider_of_backend(settings.PORTO_ANYMAIL_BACKEND)


def sent_through_fields(email: OutgoingEmail) -> dict[str, str]:
    """The ``sent_through`` and ``sent_account`` of ``email`` handed off now."""
    if email.transport == TransportName.PROVIDER:
        provider = configured_provider()
        return {"sent_through": provider, "sent_account": provider_account(provider)}
    if email.transport == TransportName.SANDBOX:
        where = f"{settings.PORTO_SANDBOX_SMTP_HOST}:{settings.PORTO_SANDBOX_SMTP_PORT}"
        return {"sent_through": TransportName.SANDBOX.value, "sent_account": where}
    return {"sent_through": TransportName.SMTP.value, "sent_account": smtp_account(email)}


def smtp_account(email: OutgoingEmail) -> str:
    config = sources.email_settings_for(email.company).smtp_config()
    account = f"{config.host}:{config.port}"
    if config.username:
        account = f"{config.username} at {account}"
    return account[:ACCOUNT_LENGTH]


def provider_account(provider: str) -> str:
    """Which account of the provider (its API host and a fingerprint of the key, never the
    key itself): the provider's own ``account`` says how."""
    if provider not in PROVIDERS:
        return provider[:ACCOUNT_LENGTH]
    return PROVIDERS[provider].account.describe()


# --- events: which emails a source may speak for ------------------------------------------

NOT_PROVIDERS = {TransportName.SANDBOX.value, TransportName.SMTP.value}
# Sources that are not one way: the pixel (any email), the outbox's own answers ("provider").
SOURCE_WAYS = {"sandbox": "sandbox", "smtp": "smtp", "imap": "smtp"}
UNBOUND_SOURCES = {"pixel", TransportName.PROVIDER.value}


def way_of_source(source: str) -> str:
    """The way an event source speaks for ("postmark" and "postmark-api": Postmark; "imap":
    own SMTP); "" for sources about any email (the pixel, the outbox's provider answers)."""
    if source in UNBOUND_SOURCES:
        return ""
    name = source.removesuffix("-api")
    return SOURCE_WAYS.get(name, name)


def sent_through_matches(email: OutgoingEmail, way: str) -> bool:
    """May an event about ``way`` change ``email``?"""
    if not way:
        return True
    if email.sent_through:
        return email.sent_through == way
    # Handed off before the way was recorded: the transport is all that is known.
    if email.transport == TransportName.PROVIDER:
        return way not in NOT_PROVIDERS
    return email.transport == way

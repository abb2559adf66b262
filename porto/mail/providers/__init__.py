"""Every provider Porto can send through, in one registry: one folder per provider.

    porto/mail/providers/<name>/__init__.py   PROVIDER = Provider(...): the record
    porto/mail/providers/<name>/webhook.py    its webhook events -> Porto events
    porto/mail/providers/<name>/status.py     its status client (Update status), if any
    porto/mail/providers/<name>/auth.py       how its webhook proves its sender, if special
    porto/mail/providers/base/                the algorithms the provider modules fill in

Every place that needs something per provider reads ``PROVIDERS`` (``provider_get``): the
webhook gate and authentication, classification, Update status, the send quirks, the
account recorded at hand-off. See docs/adding-a-provider.md.
"""

from django.utils.translation import gettext_lazy as _

from porto.mail.providers import (
    amazon_ses,
    brevo,
    mailgun,
    mailjet,
    postal,
    postmark,
    resend,
    sendgrid,
    sparkpost,
)
from porto.mail.providers.base.provider import Provider
from porto.mail.providers.base.status import Policy, RateLimit

PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        postmark.PROVIDER,
        mailgun.PROVIDER,
        sendgrid.PROVIDER,
        amazon_ses.PROVIDER,
        brevo.PROVIDER,
        resend.PROVIDER,
        postal.PROVIDER,
        sparkpost.PROVIDER,
        mailjet.PROVIDER,
    )
}

# Porto's own ways, asked through its own stores: the sandbox inbox and the company's
# mailbox (IMAP). Their clients live with the feedback they read (porto.mail.feedback).
OWN_WAYS: dict[str, Policy] = {
    "sandbox": Policy("sandbox", _("Sandbox"), 26, RateLimit(50, 1)),
    "smtp": Policy("smtp", _("Own mailbox (SMTP)"), 26, RateLimit(1, 5)),
}


class UnknownProvider(KeyError):
    """A name no provider folder declares."""


def provider_get(name: str) -> Provider:
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise UnknownProvider(f"Unknown provider {name!r}: use one of {known}.") from None


def provider_of_backend(backend: str) -> str:
    """anymail.backends.postmark.EmailBackend → postmark (sendinblue is Brevo's old name)."""
    parts = backend.split(".")
    module = parts[-2] if len(parts) >= 2 else backend
    for provider in PROVIDERS.values():
        if module in provider.backends:
            return provider.name
    return module


def policy_for(way: str) -> Policy:
    """How long and how fast ``way`` (a provider, "sandbox" or "smtp") can be asked."""
    if way in PROVIDERS:
        return PROVIDERS[way].policy
    if way in OWN_WAYS:
        return OWN_WAYS[way]
    return Policy(
        way,
        way,
        0,
        RateLimit(1, 1),
        has_api=False,
        no_api_reason=_("Porto cannot ask this provider about a sent message."),
    )

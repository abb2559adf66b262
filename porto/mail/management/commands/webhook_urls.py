"""Print the webhook URL of each provider Porto listens to, to paste into its dashboard."""

from urllib.parse import quote, urlsplit, urlunsplit

from anymail.utils import get_anymail_setting
from django.conf import settings
from django.core.management.base import BaseCommand

from porto.mail.feedback.webhook_gate import credentials_missing, live_providers, webhook_path


def basic_auth_userinfo() -> str:
    """``user:password@`` for the URL when ANYMAIL_WEBHOOK_SECRET is set (its first value)."""
    secret = get_anymail_setting("webhook_secret", default=None)
    first = secret if isinstance(secret, str) else next(iter(secret or []), "")
    if not first:
        return ""
    user, _, password = first.partition(":")
    return f"{quote(user, safe='')}:{quote(password, safe='')}@"


def webhook_url(base_url: str, provider: str) -> str:
    base = urlsplit(base_url)
    netloc = basic_auth_userinfo() + base.netloc
    return urlunsplit((base.scheme, netloc, base.path.rstrip("/") + webhook_path(provider), "", ""))


class Command(BaseCommand):
    help = (
        "Print the webhook URL of each provider Porto sends through (with the basic-auth "
        "secret when one is set): paste it into the provider's dashboard."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.PORTO_BASE_URL,
            help="Porto's public address (default: PORTO_BASE_URL).",
        )

    def handle(self, *args, base_url: str, **options) -> None:
        providers = live_providers()
        if not providers:
            self.stdout.write(
                "No provider is live (PORTO_MAIL_TRANSPORT is not 'provider'): Porto has no "
                "webhook URL."
            )
            return
        for provider in providers:
            self.stdout.write(f"{provider}: {webhook_url(base_url, provider)}")
            missing = credentials_missing(provider)
            if missing:
                self.stderr.write(
                    f"{provider}: this URL refuses every request until you set "
                    f"{', '.join(missing)}."
                )

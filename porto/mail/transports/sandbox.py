"""The embedded default: the sandbox SMTP server that runs with the app (nothing leaves the
machine). Same dialogue as the own-mailbox transport, to the local server, no login."""

from django.conf import settings

from porto.lib.smtp import Security, SmtpConfig
from porto.mail.transports.smtp import SmtpTransport


class SandboxTransport(SmtpTransport):
    name = "sandbox"

    def __init__(self) -> None:
        super().__init__(
            SmtpConfig(
                host=settings.PORTO_SANDBOX_SMTP_HOST,
                port=settings.PORTO_SANDBOX_SMTP_PORT,
                security=Security.NONE,
                timeout=settings.PORTO_MAIL_SMTP_TIMEOUT,
            )
        )

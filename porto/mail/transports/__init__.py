"""Transports hand a composed email to the world: one module each over ``base.Transport``."""

from porto.mail.models import OutgoingEmail, TransportName
from porto.mail.transports.base import Transport
from porto.mail.transports.provider import ProviderTransport
from porto.mail.transports.sandbox import SandboxTransport
from porto.mail.transports.smtp import SmtpTransport


def transport_for(email: OutgoingEmail, *, keep_open: bool = False) -> Transport:
    if email.transport == TransportName.SANDBOX:
        return SandboxTransport(keep_open=keep_open)
    if email.transport == TransportName.PROVIDER:
        return ProviderTransport(keep_open=keep_open)
    return SmtpTransport.for_company(email.company, keep_open=keep_open)


class Transports:
    """The transports of one batch of emails: one SMTP connection per server (one HTTP
    session for the provider), reused."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, int], Transport] = {}

    def for_email(self, email: OutgoingEmail) -> Transport:
        company = email.company_id if email.transport == TransportName.SMTP else 0
        key = (email.transport, company)
        if key not in self.open:
            self.open[key] = transport_for(email, keep_open=True)
        return self.open[key]

    def close(self) -> None:
        for transport in self.open.values():
            transport.close()
        self.open.clear()

    def __enter__(self) -> "Transports":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""Transports hand a composed email to the world: one module each over ``base.Transport``."""

from porto.mail.models import OutgoingEmail, TransportName
from porto.mail.transports.base import Transport


def transport_for(email: OutgoingEmail) -> Transport:
    if email.transport == TransportName.SANDBOX:
        from porto.mail.transports.sandbox import SandboxTransport

        return SandboxTransport()
    if email.transport == TransportName.PROVIDER:
        from porto.mail.transports.provider import ProviderTransport

        return ProviderTransport()
    from porto.mail.transports.smtp import SmtpTransport

    return SmtpTransport.for_company(email.company)

"""One base for every transport: it receives a composed message and the addresses still
waiting for an answer, and says per address whether it was accepted.

A problem with the whole hand-off (connection lost, login refused, provider down) is a
``TransportError``; ``permanent`` decides between failing now and trying again later.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum
from typing import Any

# The code of a hand-off whose outcome is unknown: the whole message was sent, but the
# server's answer never came (connection lost, or no reply in time). It may have arrived.
AMBIGUOUS = "ambiguous"


class WayDown(StrEnum):
    """Why a whole way out failed, whatever the email: it says nothing about the recipients,
    so the email waits instead of failing and the way's breaker counts it (porto.mail.breaker)."""

    LOGIN = "login"  # the login or the API key was refused
    UNREACHABLE = "unreachable"  # the server could not be reached, or refused the connection
    TLS = "tls"  # the secure connection could not be made


class TransportError(Exception):
    # ``message``: a stored reason (porto.mail.reasons), rendered only when shown.
    # ``way_down``: set when the session itself failed (not this email): see WayDown.
    def __init__(
        self, message: Any, *, permanent: bool, code: str = "", way_down: WayDown | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.code = code
        self.way_down = way_down


@dataclass(frozen=True)
class RecipientResult:
    accepted: bool
    permanent: bool = True  # for a refusal: will trying again help?
    code: str = ""
    reason: Any = ""  # a stored reason (porto.mail.reasons)
    provider_message_id: str = ""


@dataclass(frozen=True)
class Outbound:
    """What a transport needs: the message, the envelope and our ids."""

    message: EmailMessage
    sender: str
    recipients: list[str]  # the addresses still waiting for an answer
    public_id: str
    recipient_ids: dict[str, int] = field(default_factory=dict)
    company_id: int = 0
    track_opens: bool = False  # "Check if the email is opened": the provider tracks opens
    # Called with the answer the moment it arrives, before the connection is closed: the
    # caller writes it down at once, so a crash after this point cannot cause a resend.
    on_answer: Callable[[dict[str, "RecipientResult"]], None] = lambda results: None


class Transport:
    name = ""
    # True when the envelope (RCPT TO) is sent apart from the headers, as in SMTP: one message
    # can then go to one address while its To and Cc name everyone (per-recipient copies, see
    # porto.mail.compose.copies_for). An HTTP provider sends to the addresses in the headers.
    envelope_apart = False

    def send(self, outbound: Outbound) -> dict[str, RecipientResult]:
        """Hand ``outbound`` over; a result for every address in ``outbound.recipients``.
        Call ``outbound.on_answer`` as soon as the receiving side has accepted anything."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the transport kept open between emails."""

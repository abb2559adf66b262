"""The sandbox tells Porto what happened, through the same event path as a real provider."""

from porto.sandbox.models import SandboxMessage


def report_delivered(message: SandboxMessage) -> None:
    """One ``delivered`` event per accepted recipient of a stored message."""
    # Wired to porto.mail.events.record_event once the mail app provides it.
    return None

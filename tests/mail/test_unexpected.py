"""An unexpected exception in delivery (not a TransportError: a bug, a library error such as
smtplib's UnicodeEncodeError) is tried PORTO_MAIL_UNEXPECTED_ATTEMPTS times, then the email
fails with a plain, translated reason: never 24 hours of silent retries."""

import datetime

import pytest
from django.utils import timezone, translation

from porto.mail import delivery
from porto.mail.delivery import email_deliver
from porto.mail.models import OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from porto.mail.transports.base import Outbound, RecipientResult, Transport
from porto.mail.transports.sandbox import SandboxTransport

State = OutgoingEmail.State


class EncodingTransport(Transport):
    """Raises what smtplib raises for an address it cannot put on an ASCII line, ``failures``
    times, then hands over to the real sandbox transport."""

    name = "sandbox"

    def __init__(self, failures: int = 1000) -> None:
        self.failures = failures
        self.calls = 0

    def send(self, outbound: Outbound) -> dict[str, RecipientResult]:
        self.calls += 1
        if self.calls <= self.failures:
            "RCPT TO:<josé@klant.example>".encode("ascii")
        return SandboxTransport().send(outbound)


@pytest.fixture(autouse=True)
def three_attempts(settings):
    settings.PORTO_MAIL_UNEXPECTED_ATTEMPTS = 3
    settings.PORTO_MAIL_RETRY_FOR = 24 * 3600


def queue(invoice) -> OutgoingEmail:
    return email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))


def deliver_until_final(email: OutgoingEmail, transport: Transport | None = None) -> list[str]:
    now = timezone.now()
    outcomes = []
    for _ in range(20):
        outcome = email_deliver(email.pk, now=now, transport=transport)
        outcomes.append(outcome)
        if outcome != "retry":
            return outcomes
        email.refresh_from_db()
        now = email.next_attempt_at + datetime.timedelta(seconds=1)
    return outcomes


def test_an_unexpected_transport_error_fails_the_email_after_three_attempts(smtp_server, invoice):
    email = queue(invoice)
    transport = EncodingTransport()
    assert deliver_until_final(email, transport) == ["retry", "retry", "failed"]
    email.refresh_from_db()
    assert email.state == State.FAILED
    assert email.attempts == 3
    [recipient] = email.recipients.all()
    assert reason_render(recipient.failure_reason) == (
        "Sending failed 3 times because of an unexpected error (UnicodeEncodeError); stopped "
        "trying. Check the addresses, or ask support for help."
    )
    assert recipient.status() == Status.FAILED
    assert smtp_server.received == []


def test_while_retrying_an_unexpected_error_the_email_shows_a_plain_reason(smtp_server, invoice):
    email = queue(invoice)
    assert email_deliver(email.pk, transport=EncodingTransport()) == "retry"
    email.refresh_from_db()
    assert reason_render(email.last_error) == (
        "Sending failed because of an unexpected error (UnicodeEncodeError); trying again later."
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Verzenden is 3 keer mislukt door een onverwachte fout (UnicodeEncodeError)"),
        ("fr", "L'envoi a échoué 3 fois à cause d'une erreur inattendue (UnicodeEncodeError)"),
    ],
)
def test_the_unexpected_failure_reason_is_stored_as_a_code_and_shown_in_the_readers_language(
    smtp_server, invoice, language, expected
):
    email = queue(invoice)
    deliver_until_final(email, EncodingTransport())  # the worker speaks English
    [recipient] = email.recipients.all()
    assert recipient.failure_reason == {
        "code": "unexpected_final",
        "params": {"reason": "UnicodeEncodeError", "attempts": 3},
    }
    with translation.override(language):
        assert reason_render(recipient.failure_reason).startswith(expected)


def test_one_unexpected_error_then_a_working_transport_delivers_the_email(smtp_server, invoice):
    email = queue(invoice)
    assert deliver_until_final(email, EncodingTransport(failures=1)) == ["retry", "sent"]
    [received] = smtp_server.received
    assert received.rcpt_tos == ["compta@cafe-elysee.example"]


def test_an_unexpected_error_before_the_hand_off_fails_the_email_after_three_attempts(
    smtp_server, invoice, monkeypatch
):
    def compose_with_a_bug(email, pending, *, envelope_apart):
        raise KeyError("Content-Language")

    monkeypatch.setattr(delivery, "copies_for", compose_with_a_bug)
    email = queue(invoice)
    assert deliver_until_final(email) == ["retry", "retry", "failed"]
    email.refresh_from_db()
    assert email.state == State.FAILED
    [recipient] = email.recipients.all()
    assert reason_render(recipient.failure_reason).startswith(
        "Sending failed 3 times because of an unexpected"
    )
    assert "(KeyError)" in reason_render(recipient.failure_reason)
    assert smtp_server.received == []

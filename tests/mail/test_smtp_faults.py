"""Own SMTP against a server with faults: for each fault a real server shows, the final state,
how many times Porto tried, when (a fixed clock), how many copies the server kept, and the
words the user reads on the timeline.

The server is tests/mail/smtpd.py: each fault counts down, so it recovers afterwards."""

import datetime

import pytest
from django.utils import timezone

from porto.emailsettings.models import EmailSettings
from porto.lib.smtp import Security, SmtpConfig
from porto.mail.delivery import ambiguous_retry_delay, email_deliver, retry_delay
from porto.mail.models import OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, email_send
from porto.mail.send.request import NewAttachment
from porto.mail.status import Status
from porto.mail.timeline import document_timeline
from porto.mail.transports.smtp import SmtpTransport
from tests.mail.conftest import small_pdf

State = OutgoingEmail.State
ADDRESS = "compta@cafe-elysee.example"


def queue(invoice) -> OutgoingEmail:
    return email_send(SendRequest(document=invoice, to=[ADDRESS]))


def deliver_until_final(email: OutgoingEmail, now: datetime.datetime, transport=None, limit=20):
    """Deliver at each retry's own time; the outcomes and the delays between the tries."""
    outcomes, delays = [], []
    email.refresh_from_db()
    now = max(now, email.next_attempt_at)  # due at once when queued
    for _ in range(limit):
        outcome = email_deliver(email.pk, now=now, transport=transport)
        outcomes.append(outcome)
        email.refresh_from_db()
        if outcome != "retry":
            return outcomes, delays
        delays.append(email.next_attempt_at - now)
        now = email.next_attempt_at + datetime.timedelta(seconds=1)
    raise AssertionError(f"not final after {limit} tries: {outcomes}")


def line_of(invoice, now=None):
    [entry] = [e for e in document_timeline(invoice, now or timezone.now()) if e.email]
    [recipient] = entry.email.recipients
    return recipient


@pytest.fixture
def now():
    """A moment just after the test queues its email (a queued email is due at once)."""
    return timezone.now() + datetime.timedelta(seconds=5)


def test_a_421_greeting_is_retried_and_said_as_a_refused_connection(smtp_server, invoice, now):
    smtp_server.rules.connect_reply = ["421 4.3.2 Too busy, come back later"] * 2
    email = queue(invoice)
    outcomes, delays = deliver_until_final(email, now)
    assert outcomes == ["retry", "retry", "sent"]
    assert delays == [retry_delay(1), retry_delay(2)]
    assert len(smtp_server.received) == 1
    assert email.attempts == 3


def test_while_a_421_greeting_defers_the_timeline_says_nothing_was_accepted_yet(
    smtp_server, invoice, now
):
    smtp_server.rules.connect_reply = ["421 4.3.2 Too busy"]
    email = queue(invoice)
    assert email_deliver(email.pk, now=now) == "retry"
    email.refresh_from_db()
    assert "refused the connection (421 4.3.2 Too busy)" in reason_render(email.last_error)
    line = line_of(invoice)
    assert line.status == Status.IN_TRANSIT
    assert "accepted it" not in line.explanation
    assert line.explanation.startswith("Not accepted by the mail server yet; the next try is on")


@pytest.mark.parametrize(
    "reply", ["451 4.3.0 Mailbox busy", "452 4.2.2 Over quota, try again later"]
)
def test_a_4xx_at_rcpt_is_retried_until_the_server_takes_the_address(
    smtp_server, invoice, now, reply
):
    smtp_server.rules.rcpt_replies[ADDRESS] = [reply, reply]
    email = queue(invoice)
    outcomes, delays = deliver_until_final(email, now)
    assert outcomes == ["retry", "retry", "sent"]
    assert delays == [retry_delay(1), retry_delay(2)]
    assert len(smtp_server.received) == 1


def test_a_451_after_data_keeps_nothing_and_is_retried(smtp_server, invoice, now):
    smtp_server.rules.data_reply = ["451 4.3.0 Temporary local problem"]
    email = queue(invoice)
    assert email_deliver(email.pk, now=now) == "retry"
    email.refresh_from_db()
    assert "refused the message itself (451 4.3.0 Temporary local problem)" in reason_render(
        email.last_error
    )
    outcomes, _ = deliver_until_final(email, email.next_attempt_at + datetime.timedelta(seconds=1))
    assert outcomes == ["sent"]
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ("550 5.1.1 No such user", "the mailbox does not exist"),
        ("553 5.1.3 Bad recipient address syntax", "553"),
    ],
)
def test_a_5xx_at_rcpt_fails_at_once_with_the_server_s_reason(
    smtp_server, invoice, now, reply, words
):
    smtp_server.rules.refuse[ADDRESS] = reply
    email = queue(invoice)
    outcomes, _ = deliver_until_final(email, now)
    assert outcomes == ["failed"]
    assert email.attempts == 1 and smtp_server.received == []
    line = line_of(invoice)
    assert line.status == Status.FAILED
    assert words in line.explanation
    assert "trying again" not in line.explanation


def test_a_554_after_data_fails_at_once_as_a_refused_message(smtp_server, invoice, now):
    smtp_server.rules.data_reply = ["554 5.7.1 Message rejected as spam"]
    email = queue(invoice)
    outcomes, _ = deliver_until_final(email, now)
    assert outcomes == ["failed"]
    assert "refused the message itself (554 5.7.1 Message rejected as spam)" in (
        line_of(invoice).explanation
    )


def test_a_552_at_mail_from_is_said_as_a_message_too_large_not_a_refused_sender(
    smtp_server, invoice, now
):
    smtp_server.rules.mail_reply = ["552 5.3.4 Message size exceeds fixed limit"]
    email = queue(invoice)
    outcomes, _ = deliver_until_final(email, now)
    assert outcomes == ["failed"]
    explanation = line_of(invoice).explanation
    assert "refused the message as too large (552 5.3.4" in explanation
    assert "sender" not in explanation


def test_a_552_after_data_is_said_as_a_message_too_large(smtp_server, invoice, now):
    smtp_server.rules.data_reply = ["552 5.2.3 Message exceeds maximum size"]
    email = queue(invoice)
    deliver_until_final(email, now)
    assert "too large" in line_of(invoice).explanation


def test_a_connection_dropped_while_the_content_arrives_is_retried_and_sends_one_copy(
    smtp_server, invoice, now, settings
):
    settings.PORTO_MAIL_AMBIGUOUS_RETRIES = 0  # a drop mid-DATA must not count as ambiguous
    smtp_server.rules.drop_mid_data = 1
    # Larger than the loopback's socket buffers: the drop reaches the client while it sends.
    scans = [NewAttachment(f"scan-{n}.pdf", small_pdf(f"{n}" * 4_500_000)) for n in range(3)]
    email = email_send(SendRequest(document=invoice, to=[ADDRESS], attachments=scans))
    outcomes, _ = deliver_until_final(email, now)
    assert outcomes == ["retry", "sent"]
    assert len(smtp_server.received) == 1
    assert "may have arrived" not in line_of(invoice).explanation.lower()


def test_a_drop_after_the_message_was_kept_sends_it_once_more_and_shows_may_have_arrived(
    smtp_server, invoice, now
):
    smtp_server.rules.drop_after_data = 1
    email = queue(invoice)
    assert email_deliver(email.pk, now=now) == "retry"
    email.refresh_from_db()
    assert email.next_attempt_at - now == ambiguous_retry_delay()
    explanation = line_of(invoice).explanation
    assert explanation.startswith("May have arrived: the whole message was sent")
    assert "once more" in explanation and "may get it twice" in explanation
    outcomes, _ = deliver_until_final(email, email.next_attempt_at + datetime.timedelta(seconds=1))
    assert outcomes == ["sent"]
    assert len(smtp_server.received) == 2  # the bound: one extra copy per ambiguous hand-off


def test_a_server_that_never_answers_after_data_gets_two_copies_at_most_then_may_have_arrived(
    smtp_server, invoice, now
):
    smtp_server.rules.drop_after_data = 100
    email = queue(invoice)
    outcomes, delays = deliver_until_final(email, now)
    assert outcomes == ["retry", "sent"]
    assert delays == [ambiguous_retry_delay()]
    assert len(smtp_server.received) == 2
    line = line_of(invoice)
    assert line.status == Status.IN_TRANSIT  # never Failed: the client may have it
    assert line.explanation.startswith("May have arrived: the whole message was sent, but the")
    assert "Ask the client before sending it again" in line.explanation


def test_with_ambiguous_retries_off_a_lost_answer_is_never_sent_again(
    smtp_server, invoice, now, settings
):
    settings.PORTO_MAIL_AMBIGUOUS_RETRIES = 0
    smtp_server.rules.drop_after_data = 1
    email = queue(invoice)
    outcomes, _ = deliver_until_final(email, now)
    assert outcomes == ["sent"]
    assert len(smtp_server.received) == 1
    assert email.state == State.SENT
    assert line_of(invoice).explanation.startswith("May have arrived")


def test_a_reply_slower_than_the_data_timeout_is_ambiguous_and_said_so(
    smtp_server, invoice, now, settings
):
    settings.PORTO_MAIL_SMTP_DATA_TIMEOUT = 0.5
    settings.PORTO_MAIL_AMBIGUOUS_RETRIES = 0
    smtp_server.rules.stall_after_data = [2.0]
    email = queue(invoice)
    deliver_until_final(email, now)
    assert len(smtp_server.received) == 1
    [recipient] = email.recipients.all()
    assert "no answer within 0.5 seconds" in reason_render(recipient.last_deferral_reason)
    assert "may have arrived" in reason_render(recipient.last_deferral_reason)


def test_the_final_reply_is_waited_for_longer_than_the_command_timeout(
    smtp_server, invoice, now, settings
):
    settings.PORTO_MAIL_SMTP_TIMEOUT = 0.5  # commands
    settings.PORTO_MAIL_SMTP_DATA_TIMEOUT = 5  # the answer to the final "."
    smtp_server.rules.stall_after_data = [1.5]
    email = queue(invoice)
    outcomes, _ = deliver_until_final(email, now)
    assert outcomes == ["sent"]
    assert len(smtp_server.received) == 1


def test_own_smtp_settings_use_the_configured_command_timeout(company, settings):
    settings.PORTO_MAIL_SMTP_TIMEOUT = 7
    own = EmailSettings(company=company, smtp_host="smtp.acme.example", smtp_port=587)
    assert own.smtp_config().timeout == 7


def own_smtp(server, **config) -> SmtpTransport:
    values = {"host": "127.0.0.1", "port": server.port_number, "security": Security.NONE}
    return SmtpTransport(SmtpConfig(**(values | config)))


def test_a_refused_starttls_is_retried_and_said_as_such(smtp_server, invoice, now):
    smtp_server.rules.refuse_starttls = True
    email = queue(invoice)
    transport = own_smtp(smtp_server, security=Security.STARTTLS)
    assert email_deliver(email.pk, now=now, transport=transport) == "retry"
    email.refresh_from_db()
    assert "STARTTLS failed" in reason_render(email.last_error)
    assert smtp_server.received == []


def test_a_refused_login_fails_with_what_to_check(invoice, now):
    from tests.mail.smtpd import Rules, SmtpTestServer

    server = SmtpTestServer(Rules(credentials=("acme", "right-password")))
    server.start()
    try:
        email = queue(invoice)
        transport = own_smtp(server, username="acme", password="wrong-password")
        outcomes, _ = deliver_until_final(email, now, transport=transport)
    finally:
        server.stop()
    assert outcomes == ["failed"]
    assert "check the username and password" in line_of(invoice).explanation

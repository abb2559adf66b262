"""With "Check if the email is opened" on, every recipient can become Read: through the sandbox
(or any transport that keeps the envelope apart) each To and Cc recipient gets a copy of its own
with its own pixel, sent only to that address, with the same To, Cc and Message-ID headers as
every other copy; Bcc and the sender's own copy get one copy without pixel. Checked on the raw
DATA a real SMTP server receives."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from porto.emailsettings.selectors import email_settings_for
from porto.mail.compose import copies_for, pixel_url
from porto.mail.delivery import email_deliver
from porto.mail.models import DeliveryAttempt, OutgoingEmail, Recipient
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from porto.mail.transports.base import Outbound, RecipientResult
from porto.mail.transports.sandbox import SandboxTransport
from tests.tasks import run_queued_tasks

from .smtpd import Received

TO = "compta@cafe-elysee.example"
CC = "direction@cafe-elysee.example"
BCC = "archief@cafe-elysee.example"
THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.4.0"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.PORTO_BASE_URL = "http://testserver"


def tracking(company, *, on: bool, copy_to_self: bool = False) -> None:
    email_settings = email_settings_for(company)
    email_settings.track_opens = on
    email_settings.copy_to_self = copy_to_self
    email_settings.save()


def send(invoice, *, cc=(), bcc=()) -> OutgoingEmail:
    return email_send(SendRequest(document=invoice, to=[TO], cc=list(cc), bcc=list(bcc)))


def html_of(received: Received) -> str:
    return received.message.get_body(("html",)).get_content()


def pixels_in(received: Received) -> list[str]:
    return re.findall(r'<img src="(http://testserver/t/[^"]+\.gif)"', html_of(received))


def header_lines(received: Received, name: str) -> list[bytes]:
    """The raw header lines (unfolded) as they went over the wire."""
    head = received.data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ")
    return [line for line in head.split(b"\r\n") if line.lower().startswith(name.lower() + b":")]


def by_rcpt(received: list[Received]) -> dict[tuple[str, ...], Received]:
    return {tuple(sorted(r.rcpt_tos)): r for r in received}


def recipient(email: OutgoingEmail, address: str) -> Recipient:
    return email.recipients.get(address=address)


def test_with_tracking_to_and_cc_each_get_a_copy_with_their_own_pixel_and_identical_headers(
    smtp_server, company, invoice
):
    tracking(company, on=True)
    email = send(invoice, cc=[CC])
    assert email_deliver(email.pk) == "sent"

    copies = by_rcpt(smtp_server.received)
    assert set(copies) == {(TO,), (CC,)}  # two DATA, each RCPT only its recipient
    to_copy, cc_copy = copies[(TO,)], copies[(CC,)]
    assert pixels_in(to_copy) == [pixel_url(recipient(email, TO))]
    assert pixels_in(cc_copy) == [pixel_url(recipient(email, CC))]
    for name in (b"To", b"Cc", b"Message-ID", b"Subject", b"From", b"Date"):
        assert header_lines(to_copy, name) == header_lines(cc_copy, name), name
        assert len(header_lines(to_copy, name)) == 1
    assert TO.encode() in header_lines(cc_copy, b"To")[0]
    assert CC.encode() in header_lines(to_copy, b"Cc")[0]
    assert to_copy.message_id == f"<{email.message_id}>"
    assert OutgoingEmail.objects.filter(document=invoice).count() == 1  # one email on the timeline
    assert all(r.accepted_at is not None for r in email.recipients.all())


def test_bcc_and_the_senders_copy_share_a_copy_without_pixel_and_no_bcc_header_leaks(
    smtp_server, company, invoice
):
    tracking(company, on=True, copy_to_self=True)
    email = send(invoice, bcc=[BCC])
    own_copy = email.recipients.get(kind=Recipient.Kind.BCC, address__iexact="office@acme.example")
    assert email_deliver(email.pk) == "sent"

    copies = by_rcpt(smtp_server.received)
    untracked = tuple(sorted([BCC, own_copy.address]))
    assert set(copies) == {(TO,), untracked}
    assert pixels_in(copies[(TO,)]) == [pixel_url(recipient(email, TO))]
    assert pixels_in(copies[untracked]) == []
    for received in copies.values():
        assert header_lines(received, b"Bcc") == []
        assert BCC.encode() not in received.data
        assert received.message_id == f"<{email.message_id}>"


def test_opening_each_copys_pixel_makes_that_recipient_read(
    smtp_server, company, invoice, django_capture_on_commit_callbacks
):
    tracking(company, on=True)
    email = send(invoice, cc=[CC])
    assert email_deliver(email.pk) == "sent"
    run_queued_tasks()  # the wake-up task finds the email sent: harmless
    copies = by_rcpt(smtp_server.received)
    opened_at = timezone.now() + dt.timedelta(minutes=5)

    def open_pixel(address: str) -> None:
        [url] = pixels_in(copies[(address,)])
        with freeze_time(opened_at), django_capture_on_commit_callbacks(execute=True):
            response = Client().get(
                url.removeprefix("http://testserver"),
                HTTP_USER_AGENT=THUNDERBIRD,
                REMOTE_ADDR="81.82.83.84",
            )
        assert response.status_code == 200
        run_queued_tasks()

    later = opened_at + dt.timedelta(seconds=1)
    open_pixel(CC)
    assert recipient(email, CC).status(later) == Status.READ
    assert recipient(email, TO).status(later) != Status.READ
    open_pixel(TO)
    assert recipient(email, TO).status(later) == Status.READ


def test_without_tracking_one_message_goes_to_every_recipient_without_pixel(
    smtp_server, company, invoice
):
    tracking(company, on=False)
    email = send(invoice, cc=[CC], bcc=[BCC])
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert sorted(received.rcpt_tos) == sorted([TO, CC, BCC])
    assert pixels_in(received) == []
    assert b"/t/" not in received.data


def test_a_provider_gets_one_message_for_every_recipient(company, invoice):
    tracking(company, on=True)
    email = send(invoice, cc=[CC])
    pending = list(email.recipients.all())
    [shared] = copies_for(email, pending, envelope_apart=False)
    assert shared.recipients == pending
    assert "/t/" not in shared.message.get_body(("html",)).get_content()


class Crash(BaseException):
    """The worker process dies here (not an error the code could catch)."""


class CrashingTransport(SandboxTransport):
    """The sandbox transport of a worker that dies at its ``crash_at``-th hand-off, before
    sending (``after=False``) or right after the server's answer was written down."""

    def __init__(self, crash_at: int, *, after: bool) -> None:
        super().__init__()
        self.crash_at = crash_at
        self.after = after
        self.calls = 0

    def send(self, outbound: Outbound) -> dict[str, RecipientResult]:
        self.calls += 1
        if self.calls == self.crash_at and not self.after:
            raise Crash
        results = super().send(outbound)
        if self.calls == self.crash_at and self.after:
            raise Crash
        return results


def deliver_after_the_lease_expired(email: OutgoingEmail) -> str:
    email.refresh_from_db()
    return email_deliver(email.pk, now=email.lease_until + dt.timedelta(seconds=1))


@pytest.mark.parametrize("after", [False, True], ids=["before-the-second", "after-the-first"])
def test_a_crash_between_copies_does_not_resend_the_copy_already_accepted(
    smtp_server, company, invoice, after
):
    tracking(company, on=True)
    email = send(invoice, cc=[CC])
    crash_at = 1 if after else 2
    with pytest.raises(Crash):
        email_deliver(email.pk, transport=CrashingTransport(crash_at, after=after))
    assert [r.rcpt_tos for r in smtp_server.received] == [[TO]]

    assert deliver_after_the_lease_expired(email) == "sent"
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted([TO, CC])  # TO's once
    outcomes = list(DeliveryAttempt.objects.filter(email=email).values_list("outcome", flat=True))
    if after:  # the answer was written: recorded after the crash, not handed off again
        assert DeliveryAttempt.Outcome.RECOVERED in outcomes
    else:  # the second copy's hand-off had begun: closed as interrupted
        assert DeliveryAttempt.Outcome.INTERRUPTED in outcomes
    assert all(r.accepted_at is not None for r in email.recipients.all())

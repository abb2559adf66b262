"""A failed Cc (or Bcc) never leaves the document's badge plain: the word still follows the
To recipients (did the document reach its client?), and the flag "a recipient failed" says
that someone did not get it. One test per case, then the whole path: a real SMTP server
refuses the Cc, and the timeline shows it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from porto.mail.delivery import email_deliver
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import (
    Badge,
    Event,
    EventType,
    Status,
    document_badge,
    email_status,
    facts_from,
)
from porto.mail.timeline import document_timeline
from tests.mail.smtpd import Rules, SmtpTestServer

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
WINDOW = datetime.timedelta(days=25)


def test_in_transit_to_with_a_failed_cc_is_flagged():
    badge = document_badge([Status.IN_TRANSIT], [Status.FAILED])
    assert badge == Badge(Status.IN_TRANSIT, some_failed=True)
    assert str(badge.flag) == "a recipient failed"


def test_delivered_to_with_a_failed_cc_stays_delivered_and_is_flagged():
    assert document_badge([Status.DELIVERED], [Status.FAILED]) == Badge(
        Status.DELIVERED, some_failed=True
    )


def test_read_to_with_a_failed_cc_stays_read_and_is_flagged():
    assert document_badge([Status.READ], [Status.FAILED]) == Badge(Status.READ, some_failed=True)


def test_a_failed_bcc_is_flagged_too():
    assert document_badge([Status.DELIVERED], [Status.DELIVERED, Status.FAILED]).some_failed


def test_a_failed_to_is_failed_even_when_the_cc_got_it():
    assert document_badge([Status.FAILED], [Status.DELIVERED]).status == Status.FAILED


def test_copies_that_did_not_fail_leave_the_badge_plain():
    assert document_badge([Status.IN_TRANSIT], [Status.DELIVERED, Status.READ]) == Badge(
        Status.IN_TRANSIT
    )


def test_the_stored_status_carries_the_flag_of_a_failed_cc():
    to = facts_from([Event(EventType.QUEUED, T0)])
    cc = facts_from([Event(EventType.QUEUED, T0), Event(EventType.BOUNCED, T0, code="550")])
    stored = email_status(
        [to], handed_off_at=T0, in_transit_for=WINDOW, track_opens=False, copy_facts=[cc]
    )
    assert stored.status == Status.IN_TRANSIT
    assert stored.some_failed
    assert stored.badge(T0 + WINDOW * 2) == Badge(Status.UNKNOWN, some_failed=True)


def test_a_cc_that_is_only_deferred_is_not_a_failure():
    to = facts_from([Event(EventType.QUEUED, T0)])
    cc = facts_from([Event(EventType.DEFERRED, T0)])
    stored = email_status(
        [to], handed_off_at=T0, in_transit_for=WINDOW, track_opens=False, copy_facts=[cc]
    )
    assert not stored.some_failed


@pytest.fixture
def refusing_server(settings):
    server = SmtpTestServer(Rules(refuse={"cc@klant.invalid": "550 5.1.1 User unknown"}))
    server.start()
    settings.PORTO_SANDBOX_SMTP_HOST = "127.0.0.1"
    settings.PORTO_SANDBOX_SMTP_PORT = server.port_number
    settings.PORTO_MAIL_TRANSPORT = "sandbox"
    yield server
    server.stop()


def test_a_cc_refused_by_the_server_flags_the_documents_badge(
    refusing_server, invoice, owner_client
):
    email = email_send(
        SendRequest(document=invoice, to=["compta@cafe-elysee.example"], cc=["cc@klant.invalid"])
    )
    email_deliver(email.pk)

    [line] = [e.email for e in document_timeline(invoice, timezone.now()) if e.email]
    assert line.badge.status == Status.IN_TRANSIT
    assert line.badge.some_failed
    by_address = {r.address: r.status for r in line.recipients}
    assert by_address == {
        "compta@cafe-elysee.example": Status.IN_TRANSIT,
        "cc@klant.invalid": Status.FAILED,
    }
    page = owner_client.get(reverse("document", args=[invoice.pk])).content.decode()
    assert "a recipient failed" in page

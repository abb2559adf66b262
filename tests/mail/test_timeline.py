"""The document timeline selector: every status with its details, order, and a fixed number of
queries. The pages that show it are tested in tests/web/test_timeline_views.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from porto.mail.events import record_event
from porto.mail.models import Recipient
from porto.mail.status import Event, EventType, Status
from porto.mail.timeline import document_timeline
from tests.factories import make_email

NOW = timezone.now().replace(microsecond=0)
PDF_BYTES = b"%PDF-1.4 invoice bytes"


def ago(**kw) -> datetime.datetime:
    return NOW - datetime.timedelta(**kw)


def record(email, address, type_, at, **fields):
    return record_event(
        source="sandbox",
        event=Event(type_, at, **fields),
        message_id=email.message_id,
        recipient=address,
    )


@pytest.fixture
def emails(invoice):
    """One email per status, all for the same invoice."""
    in_transit = make_email(invoice, handed_off_at=ago(hours=5), to=("transit@klant.example",))
    delivered = make_email(invoice, handed_off_at=ago(hours=4), to=("delivered@klant.example",))
    record(delivered, "delivered@klant.example", EventType.DELIVERED, ago(hours=4))
    record(delivered, "delivered@klant.example", EventType.OPENED, ago(hours=4), machine=True)
    read = make_email(
        invoice, handed_off_at=ago(hours=3), to=("read@klant.example",), track_opens=True
    )
    record(read, "read@klant.example", EventType.OPENED, ago(hours=2))
    failed = make_email(
        invoice,
        handed_off_at=ago(hours=2),
        to=("failed@klant.invalid", "ok@klant.example"),
        cc=("cc@klant.example",),
    )
    record(
        failed,
        "failed@klant.invalid",
        EventType.BOUNCED,
        ago(hours=2),
        reason="The recipient's server says the mailbox does not exist (550 5.1.1 User unknown)",
        code="550 5.1.1",
    )
    record(failed, "ok@klant.example", EventType.DELIVERED, ago(hours=2))
    unknown = make_email(
        invoice, transport="smtp", handed_off_at=ago(days=4), to=("quiet@klant.example",)
    )
    return {
        "in_transit": in_transit,
        "delivered": delivered,
        "read": read,
        "failed": failed,
        "unknown": unknown,
    }


def email_lines(document):
    return {e.email.email.pk: e.email for e in document_timeline(document, NOW) if e.email}


def test_every_status_with_its_details(invoice, emails):
    lines = email_lines(invoice)
    assert {key: lines[email.pk].status for key, email in emails.items()} == {
        "in_transit": Status.IN_TRANSIT,
        "delivered": Status.DELIVERED,
        "read": Status.READ,
        "failed": Status.DELIVERED,  # one To recipient failed, the other got it
        "unknown": Status.UNKNOWN,
    }
    failed = lines[emails["failed"].pk]
    assert failed.badge.some_failed
    by_address = {r.address: r for r in failed.recipients}
    assert by_address["failed@klant.invalid"].status == Status.FAILED
    assert "550 5.1.1" in by_address["failed@klant.invalid"].explanation
    assert by_address["cc@klant.example"].kind == "cc"
    delivered = lines[emails["delivered"].pk].recipients[0]
    assert delivered.machine_open_at is not None and delivered.human_open_at is None
    unknown = lines[emails["unknown"].pk].recipients[0]
    assert unknown.explanation == "Your mail server accepted it; no delivery report came back."


def test_newest_first_with_the_documents_own_events(invoice, emails):
    entries = document_timeline(invoice, NOW)
    times = [e.at for e in entries]
    assert times == sorted(times, reverse=True)
    titles = [e.title for e in entries]
    assert "Created" in titles and "Finalized" in titles
    assert "Failed: failed@klant.invalid" in titles
    assert "Read: read@klant.example" in titles


def test_own_smtp_is_in_transit_for_a_few_days_then_unknown(settings, invoice):
    settings.PORTO_MAIL_SMTP_IN_TRANSIT_DAYS = 3
    email = make_email(invoice, transport="smtp", handed_off_at=ago(days=2))
    recipient = Recipient.objects.select_related("email").get(email=email)
    assert recipient.status(NOW) == Status.IN_TRANSIT
    assert recipient.status(NOW + datetime.timedelta(days=1, hours=1)) == Status.UNKNOWN


def test_constant_number_of_queries(invoice):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            document_timeline(invoice, NOW)
        return len(queries)

    make_email(invoice, attachments=(("a.pdf", PDF_BYTES),), cc=("cc@klant.example",))
    one = count()
    for n in range(9):
        make_email(invoice, attachments=((f"{n}.pdf", PDF_BYTES + bytes([n])),))
    assert count() == one

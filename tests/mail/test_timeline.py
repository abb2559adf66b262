"""The document timeline, its partial, the email views and the proof of sending."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from porto.mail.events import record_event
from porto.mail.models import DeliveryAttempt, OutgoingEmail, Recipient
from porto.mail.status import Event, EventType, Status
from porto.mail.timeline import document_timeline
from tests.factories import make_email, make_user

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


def test_the_partial_renders_badges_details_and_the_refresh_button(owner_client, invoice, emails):
    html = owner_client.get(f"/emails/documents/{invoice.pk}/timeline/").content.decode()
    for word, status in [("In transit", "in_transit"), ("Read", "read"), ("Unknown", "unknown")]:
        assert f'status-badge--{status}" aria-describedby' in html and word in html
    assert 'role="tooltip"' in html and "<details" in html
    assert "Opened automatically (not a confirmed read)" in html
    assert "550 5.1.1" in html
    assert "porto/timeline.css" in html
    assert f'action="/emails/{emails["read"].pk}/update-status/"' in html
    assert "csrfmiddlewaretoken" in html
    # Own SMTP without IMAP settings: disabled, with the reason.
    assert 'disabled aria-describedby="email-{}-why"'.format(emails["unknown"].pk) in html
    assert "IMAP settings" in html


def test_dutch_and_french_status_words(owner_client, invoice, emails):
    for language, words in {
        "nl": ["In verzending", "Afgeleverd", "Gelezen", "Onbekend"],
        "fr": ["En cours d'envoi", "Distribué", "Lu", "Inconnu"],
    }.items():
        owner_client.cookies["django_language"] = language
        html = owner_client.get(f"/emails/documents/{invoice.pk}/timeline/").content.decode()
        for word in words:
            assert word.replace("'", "&#x27;") in html, (language, word)


def test_update_status_outside_the_window_is_refused_with_the_reason(owner_client, invoice):
    email = make_email(invoice, handed_off_at=ago(days=26))
    response = owner_client.post(f"/emails/{email.pk}/update-status/", follow=True)
    assert response.redirect_chain[-1][0] == f"/documents/{invoice.pk}/"
    assert "can no longer be updated" in response.content.decode()
    fetched = owner_client.post(
        f"/emails/{email.pk}/update-status/", headers={"X-Requested-With": "fetch"}
    )
    assert fetched.status_code == 409
    assert "can no longer be updated" in fetched.content.decode()
    assert 'id="mail-timeline"' in fetched.content.decode()


def test_update_status_inside_the_window_queues_the_task(
    owner_client, invoice, django_capture_on_commit_callbacks
):
    email = make_email(invoice, handed_off_at=ago(hours=1))
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(f"/emails/{email.pk}/update-status/")
    assert response.status_code == 302 and len(callbacks) == 1
    assert OutgoingEmail.objects.get(pk=email.pk).refresh_started_at is not None


def test_a_teammate_may_update_and_get_without_csrf_is_refused(client, teammate, invoice):
    email = make_email(invoice, handed_off_at=ago(hours=1))
    client.force_login(teammate)
    assert client.get(f"/emails/{email.pk}/update-status/").status_code == 405
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(teammate)
    assert csrf_client.post(f"/emails/{email.pk}/update-status/").status_code == 403


def test_outsider_gets_404_on_every_view(outsider_client, invoice):
    email = make_email(invoice, handed_off_at=ago(hours=1))
    assert outsider_client.post(f"/emails/{email.pk}/update-status/").status_code == 404
    assert outsider_client.get(f"/emails/{email.pk}/proof.pdf").status_code == 404
    assert outsider_client.get(f"/emails/documents/{invoice.pk}/timeline/").status_code == 404
    assert OutgoingEmail.objects.get(pk=email.pk).refresh_started_at is None


def test_the_proof_of_sending(owner_client, invoice):
    email = make_email(
        invoice,
        handed_off_at=ago(hours=1),
        to=("jean@klant.example",),
        attachments=(("2026-00001.pdf", PDF_BYTES),),
    )
    DeliveryAttempt.objects.create(
        email=email,
        number=1,
        lease_token="t",
        started_at=ago(hours=1),
        finished_at=ago(hours=1),
        outcome=DeliveryAttempt.Outcome.ANSWERED,
        answer={
            "jean@klant.example": {
                "accepted": True,
                "permanent": True,
                "code": "250",
                "reason": "2.0.0 Ok: queued as 4XyZ",
                "provider_message_id": "",
            }
        },
    )
    record(email, "jean@klant.example", EventType.DELIVERED, ago(minutes=59))
    response = owner_client.get(f"/emails/{email.pk}/proof.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    import hashlib

    assert email.message_id in text.replace(" ", "") or email.message_id in text
    assert hashlib.sha256(PDF_BYTES).hexdigest() in text.replace(" ", "")
    assert "2026-00001.pdf" in text
    assert "queued as 4XyZ" in text
    assert "delivered" in text and "sandbox" in text
    assert invoice.number in text


def test_a_member_without_the_company_cannot_reach_a_foreign_email(client, other_company, invoice):
    email = make_email(invoice)
    client.force_login(make_user(other_company, role="member"))
    assert client.get(f"/emails/{email.pk}/proof.pdf").status_code == 404

"""The email pages of a document: the timeline drawn by the view (document page and polled
fragment), Update status, and the proof of sending; owner, teammate and outsider."""

import hashlib
import io

from pypdf import PdfReader

from porto.mail.models import DeliveryAttempt, OutgoingEmail
from porto.mail.status import EventType
from tests.factories import make_email, make_user
from tests.mail.test_timeline import PDF_BYTES, ago, emails, record

__all__ = ["emails"]


def test_the_document_page_draws_the_timeline_once_with_its_script_once(
    owner_client, invoice, emails
):
    html = owner_client.get(f"/documents/{invoice.pk}/").content.decode()
    assert html.count('id="mail-timeline"') == 1
    assert html.count("porto/timeline.js") == 1
    assert html.count("porto/timeline.css") == 1
    assert 'data-refresh-seconds="30"' in html
    assert f'id="email-{emails["failed"].pk}"' in html


def test_the_fragment_carries_no_script_and_the_refresh_interval(settings, owner_client, invoice):
    settings.PORTO_TIMELINE_REFRESH_SECONDS = 7
    html = owner_client.get(f"/emails/documents/{invoice.pk}/timeline/").content.decode()
    assert "<script" not in html
    assert 'data-refresh-seconds="7"' in html


def test_the_partial_renders_badges_details_and_the_refresh_button(owner_client, invoice, emails):
    html = owner_client.get(f"/emails/documents/{invoice.pk}/timeline/").content.decode()
    for word, status in [("In transit", "in_transit"), ("Read", "read"), ("Unknown", "unknown")]:
        assert f'status-badge--{status}" aria-describedby' in html and word in html
    assert 'role="tooltip"' in html and "<details" in html
    assert "Opened automatically (not a confirmed read)" in html
    assert "550 5.1.1" in html
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

"""The send pop-up's endpoints through Django's test client: access, CSRF, every bad input
with its message next to the field, once per idempotency key."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse

from porto.clients.models import ClientEmail
from porto.emailtexts.services import email_text_for
from porto.mail.models import OutgoingEmail
from tests.factories import make_document, make_finalized
from tests.web.conftest import small_pdf

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def form_data(**overrides):
    return {
        "to": ["compta@cafe-elysee.example"],
        "cc": "",
        "bcc": "",
        "subject": "Votre facture",
        "body": "Bonjour,\n\nVoici la facture.",
        "file_format": "pdf",
        "idempotency_key": uuid.uuid4().hex,
    } | overrides


def send(http, document, **overrides):
    return http.post(reverse("document_send", args=[document.pk]), form_data(**overrides), **JSON)


def test_owner_sends_with_a_custom_subject(owner_client, invoice):
    response = send(owner_client, invoice, subject="Facture de mars")
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "redirect": f"/documents/{invoice.pk}/"}
    email = OutgoingEmail.objects.get(document=invoice)
    assert email.subject == "Facture de mars"
    assert email.state == OutgoingEmail.State.QUEUED
    assert [r.address for r in email.recipients.all()] == ["compta@cafe-elysee.example"]


def test_teammate_sends_too(client, teammate, invoice):
    client.force_login(teammate)
    assert send(client, invoice).status_code == 200
    assert OutgoingEmail.objects.filter(document=invoice, created_by=teammate).count() == 1


def test_outsider_gets_404_and_nothing_is_sent(outsider_client, invoice):
    assert send(outsider_client, invoice).status_code == 404
    assert not OutgoingEmail.objects.exists()


def test_a_post_without_csrf_token_is_refused(owner, invoice):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(owner)
    assert send(http, invoice).status_code == 403
    assert not OutgoingEmail.objects.exists()


def test_the_same_key_sends_once(owner_client, invoice):
    key = uuid.uuid4().hex
    first = send(owner_client, invoice, idempotency_key=key)
    second = send(owner_client, invoice, idempotency_key=key)
    assert first.status_code == second.status_code == 200
    assert OutgoingEmail.objects.filter(document=invoice).count() == 1


def test_a_refused_send_leaves_its_key_free(owner_client, invoice):
    key = uuid.uuid4().hex
    assert send(owner_client, invoice, idempotency_key=key, subject="").status_code == 400
    assert send(owner_client, invoice, idempotency_key=key).status_code == 200
    assert OutgoingEmail.objects.count() == 1


def test_a_new_address_is_saved_to_the_client_when_asked(owner_client, invoice):
    to = ["compta@cafe-elysee.example", "nouveau@cafe-elysee.example"]
    assert send(owner_client, invoice, to=to, save_to_client="on").status_code == 200
    saved = set(ClientEmail.objects.filter(client=invoice.client).values_list("address", flat=True))
    assert "nouveau@cafe-elysee.example" in saved


def test_a_new_address_is_not_saved_without_the_option(owner_client, invoice):
    assert send(owner_client, invoice, to=["autre@cafe-elysee.example"]).status_code == 200
    assert not ClientEmail.objects.filter(address="autre@cafe-elysee.example").exists()


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"to": []}, "to", "Add at least one recipient in To."),
        ({"to": ["not-an-address"]}, "to", "not-an-address"),
        ({"cc": "ok@x.example, broken@"}, "cc", "broken@"),
        ({"subject": ""}, "subject", "Give the email a subject."),
        ({"subject": "Hello\r\nBcc: evil@x.example"}, "subject", "line break"),
        ({"body": "  "}, "body", "the body cannot be empty"),
        ({"file_format": "zip"}, "file_format", "zip"),
    ],
)
def test_each_bad_input_is_named_next_to_its_field(
    owner_client, invoice, overrides, field, message
):
    response = send(owner_client, invoice, **overrides)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert message in " ".join(errors[field])
    assert not OutgoingEmail.objects.exists()


def test_eleven_attachments_are_refused(owner_client, invoice):
    files = [SimpleUploadedFile(f"annexe-{i}.pdf", small_pdf(str(i))) for i in range(11)]
    response = send(owner_client, invoice, attachments=files)
    assert response.status_code == 400
    assert (
        "You added 11 attachments; an email can have at most 10."
        in response.json()["errors"]["attachments"]
    )
    assert not OutgoingEmail.objects.exists()


def test_a_six_megabyte_file_is_refused(owner_client, invoice):
    big = SimpleUploadedFile("plan.pdf", small_pdf() + b"\0" * (6 * 1024 * 1024))
    response = send(owner_client, invoice, attachments=[big])
    assert response.status_code == 400
    [problem] = response.json()["errors"]["attachments"]
    assert problem.startswith("plan.pdf is 6.") and "at most 5 MB" in problem


def test_an_executable_renamed_pdf_is_refused(owner_client, invoice):
    fake = SimpleUploadedFile("factuur.pdf", b"MZ\x90\x00" + b"\0" * 200)
    response = send(owner_client, invoice, attachments=[fake])
    assert response.status_code == 400
    assert "factuur.pdf" in response.json()["errors"]["attachments"][0]


def test_attachments_are_sent_with_the_email(owner_client, invoice):
    extra = small_pdf("conditions")
    response = send(owner_client, invoice, attachments=[SimpleUploadedFile("cgv.pdf", extra)])
    assert response.status_code == 200
    email = OutgoingEmail.objects.get()
    names = [a.filename for a in email.attachments.all()]
    assert names[-1] == "cgv.pdf" and len(names) == 2


def test_ubl_is_not_offered_for_a_quote(owner_client, company, client_fr):
    quote = make_finalized(company, client_fr, kind="quote")
    response = send(owner_client, quote, file_format="ubl")
    assert response.status_code == 400
    assert "file_format" in response.json()["errors"]


def test_without_javascript_an_error_keeps_what_was_typed(owner_client, invoice):
    data = form_data(subject="Mon sujet à moi", body="Mon texte", to=["broken@"])
    response = owner_client.post(reverse("document_send", args=[invoice.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Mon sujet à moi" in html and "Mon texte" in html
    assert "data-open-now" in html
    assert not OutgoingEmail.objects.exists()


def test_without_javascript_a_send_redirects_to_the_document(owner_client, invoice):
    response = owner_client.post(reverse("document_send", args=[invoice.pk]), form_data())
    assert response.status_code == 302
    assert response["Location"] == f"/documents/{invoice.pk}/"


def test_a_draft_has_no_send_form_and_cannot_be_sent(owner_client, company, client_fr):
    draft = make_document(company, client_fr)
    page = owner_client.get(reverse("document", args=[draft.pk]))
    assert b"send-dialog" not in page.content
    response = send(owner_client, draft)
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"] == [
        "Invoice is still a draft: finalize it before sending."
    ]


def test_the_page_prefills_the_clients_default_address_and_text(owner_client, invoice):
    html = owner_client.get(reverse("document", args=[invoice.pk])).content.decode()
    assert 'name="to" value="compta@cafe-elysee.example"' in html
    assert "direction@cafe-elysee.example" in html  # in the picker
    text = email_text_for(invoice.company, "invoice", "fr")
    assert f'<option value="{text.pk}" lang="fr" selected>' in html


def test_the_email_text_endpoint_renders_the_chosen_text(owner_client, invoice):
    dutch = email_text_for(invoice.company, "invoice", "nl")
    url = reverse("document_email_text", args=[invoice.pk, dutch.pk])
    data = owner_client.get(url).json()
    assert invoice.number in data["subject"]
    assert "factuur" in (data["subject"] + data["body"]).lower()


def test_the_email_text_of_another_company_is_404(owner_client, invoice, other_company):
    theirs = email_text_for(other_company, "invoice", "nl")
    url = reverse("document_email_text", args=[invoice.pk, theirs.pk])
    assert owner_client.get(url).status_code == 404


def test_the_format_check_explains_a_ubl_problem(owner_client, company, client_fr):
    quote = make_finalized(company, client_fr, kind="quote")
    url = reverse("document_format_check", args=[quote.pk])
    data = owner_client.get(url, {"format": "ubl"}).json()
    assert data["ok"] is False
    assert "UBL exists only for invoices and credit notes" in data["problems"][0]


def test_the_pdf_downloads(owner_client, invoice, outsider):
    url = reverse("document_download", args=[invoice.pk, "pdf"])
    response = owner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    assert owner_client.get(url, {"inline": "1"})["Content-Disposition"].startswith("inline;")
    stranger = HttpClient()
    stranger.force_login(outsider)
    assert stranger.get(url).status_code == 404


def test_a_quote_has_no_ubl_download(owner_client, company, client_fr):
    quote = make_finalized(company, client_fr, kind="quote")
    response = owner_client.get(reverse("document_download", args=[quote.pk, "ubl"]))
    assert response.status_code == 302
    assert owner_client.get(reverse("document_download", args=[quote.pk, "zip"])).status_code == 404

"""POST /api/v1/documents/{id}/send/: the pop-up's fields, limits and checks through the API;
every refusal by field with its stable code and the send path's exact words; nothing sent on
any error; the same Idempotency-Key twice sends one message."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.test.client import encode_multipart

from porto.api.services import token_create
from porto.emailsettings.models import Method
from porto.emailsettings.selectors import email_settings_for
from porto.mail import checks
from porto.mail.models import OutgoingEmail
from porto.mail.send.limits import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY_CHARS,
    MAX_RECIPIENTS,
    MAX_SUBJECT_CHARS,
    MAX_TOTAL_BYTES,
)
from porto.sandbox.models import SandboxMessage
from tests.api.conftest import error_of
from tests.factories import make_client, make_document, make_finalized
from tests.pdfs import pdf_of_size
from tests.web.conftest import prestore_pdf, small_pdf
from tests.web.worker import run_worker

pytestmark = pytest.mark.django_db

BOUNDARY = "PortoBoundary7MA4YWxkTrZu0gW"
SUBJECT = "Votre facture"
BODY = "Bonjour,\n\nVeuillez trouver la facture en annexe."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_einvoice_rules(settings, tmp_path):
    """UBL files are checked against the official rules in tests/documents; none here."""
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "no-rules"


@pytest.fixture(autouse=True)
def no_worker(settings):
    """Nothing delivers by itself: a test runs the worker when it wants."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def client_fr(company):
    return make_client(
        company, language="fr", name="Café Élysée SPRL", emails=("compta@cafe-elysee.example",)
    )


@pytest.fixture
def invoice(company, client_fr):
    document = make_finalized(company, client_fr, lines=[("2", "150", "S", "21")])
    prestore_pdf(document)
    return document


def send_path(document) -> str:
    return f"/api/v1/documents/{document.pk}/send/"


def multipart(api, path: str, fields: dict, **headers):
    """A multipart/form-data POST as curl -F sends it."""
    return api.http.post(
        path,
        encode_multipart(BOUNDARY, fields),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **api.headers(headers),
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def field_error(response, field: str) -> list[dict]:
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "validation_error"
    return error["fields"][field]


def nothing_sent() -> bool:
    return not OutgoingEmail.objects.exists()


# The happy paths


def test_owner_sends_with_the_defaults_to_the_clients_default_address(api, invoice):
    response = api.post(send_path(invoice), {})

    assert response.status_code == 202, response.content
    body = response.json()
    email = OutgoingEmail.objects.get()
    assert body["id"] == email.pk and body["document"] == invoice.pk
    assert body["status"] == "in_transit" and body["state"] == "queued"
    assert [(r["kind"], r["address"], r["status"]) for r in body["recipients"]] == [
        ("to", "compta@cafe-elysee.example", "in_transit")
    ]
    assert body["language"] == "fr" and body["file_format"] == "pdf"
    assert email.created_by is None  # a token is an integration, not a person


def test_owner_sends_with_own_recipients_subject_and_body(api, invoice):
    response = api.post(
        send_path(invoice),
        {
            "to": ["Compta <compta@cafe-elysee.example>"],
            "cc": ["gerant@cafe-elysee.example"],
            "bcc": ["archief@acme.example"],
            "subject": SUBJECT,
            "body": BODY,
            "file_format": "pdf",
        },
    )

    assert response.status_code == 202, response.content
    email = OutgoingEmail.objects.get()
    assert (email.subject, email.body_text) == (SUBJECT, BODY)
    assert [(r.kind, r.address) for r in email.recipients.order_by("position")] == [
        ("to", "compta@cafe-elysee.example"),
        ("cc", "gerant@cafe-elysee.example"),
        ("bcc", "archief@acme.example"),
    ]


def test_a_pdf_attachment_is_sent_as_multipart(api, invoice):
    plan = small_pdf("Plan of the works")
    response = multipart(
        api,
        send_path(invoice),
        {
            "to": ["compta@cafe-elysee.example", "gerant@cafe-elysee.example"],
            "subject": SUBJECT,
            "attachments": [upload("plan.pdf", plan)],
        },
    )

    assert response.status_code == 202, response.content
    attachments = response.json()["attachments"]
    assert [
        (a["filename"], a["content_type"], a["size"], a["is_document_file"]) for a in attachments
    ][-1] == ("plan.pdf", "application/pdf", len(plan), False)
    email = OutgoingEmail.objects.get()
    assert [r.address for r in email.recipients.all()] == [
        "compta@cafe-elysee.example",
        "gerant@cafe-elysee.example",
    ]
    stored = email.attachments.get(filename="plan.pdf")
    assert bytes(stored.blob.content) == plan


def test_one_form_field_may_hold_several_addresses_as_in_the_pop_up(api, invoice):
    response = multipart(
        api,
        send_path(invoice),
        {"to": '"Compta, Café" <compta@cafe-elysee.example>; gerant@cafe-elysee.example'},
    )
    assert response.status_code == 202, response.content
    assert [(r["name"], r["address"]) for r in response.json()["recipients"]] == [
        ("Compta, Café", "compta@cafe-elysee.example"),
        ("", "gerant@cafe-elysee.example"),
    ]


# Who may send


def test_an_outsider_gets_404_and_nothing_is_sent(outsider_api, invoice):
    response = outsider_api.post(send_path(invoice), {})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert nothing_sent()


def test_without_a_token_it_is_401_and_nothing_is_sent(anonymous_api, invoice):
    response = anonymous_api.post(send_path(invoice), {})
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert nothing_sent()


# Each refusal: its field, its code, the send path's words


def test_a_bad_address_is_invalid_recipient_with_the_parsers_words(api, invoice):
    with pytest.raises(ValidationError) as parsed:
        checks.clean_mailbox("compta@cafe-elysee")
    response = api.post(send_path(invoice), {"to": ["compta@cafe-elysee"]})
    assert field_error(response, "to") == [
        {"code": "invalid_recipient", "message": parsed.value.messages[0]}
    ]
    assert nothing_sent()


def test_too_many_recipients(api, invoice):
    to = [f"client{i}@cafe-elysee.example" for i in range(MAX_RECIPIENTS + 1)]
    response = api.post(send_path(invoice), {"to": to})
    assert field_error(response, "to") == [
        {
            "code": "too_many_recipients",
            "message": "An email can have at most 50 recipients; this one has 51.",
        }
    ]
    assert nothing_sent()


def test_an_empty_to_is_recipient_missing(api, invoice):
    response = api.post(send_path(invoice), {"to": []})
    assert field_error(response, "to") == [
        {"code": "recipient_missing", "message": "Add at least one recipient in To."}
    ]


def test_a_subject_over_the_limit_is_subject_too_long(api, invoice):
    response = api.post(send_path(invoice), {"subject": "x" * (MAX_SUBJECT_CHARS + 1)})
    assert field_error(response, "subject") == [
        {
            "code": "subject_too_long",
            "message": "The subject has 256 characters; keep it under 255.",
        }
    ]
    assert nothing_sent()


def test_a_body_over_the_limit_is_body_too_long(api, invoice):
    response = api.post(send_path(invoice), {"body": "x" * (MAX_BODY_CHARS + 1)})
    assert field_error(response, "body") == [
        {
            "code": "body_too_long",
            "message": "The message has 20001 characters; it can have at most 20000.",
        }
    ]


def test_every_problem_is_answered_at_once(api, invoice):
    response = api.post(
        send_path(invoice),
        {"to": ["compta@cafe-elysee"], "subject": "", "body": "x" * (MAX_BODY_CHARS + 1)},
    )
    error = error_of(response)
    assert {name: [e["code"] for e in errors] for name, errors in error["fields"].items()} == {
        "to": ["invalid_recipient"],
        "subject": ["subject_missing"],
        "body": ["body_too_long"],
    }
    assert (
        error["message"]
        == "Some fields are not valid: body, subject, to. See each field's message."
    )


def test_an_attachment_over_5_mb_is_attachment_too_large(api, invoice):
    big = small_pdf("plan")
    big += b"%" + b"0" * (MAX_ATTACHMENT_BYTES + 1 - len(big) - 1)
    response = multipart(api, send_path(invoice), {"attachments": [upload("plan.pdf", big)]})
    assert field_error(response, "attachments") == [
        {
            "code": "attachment_too_large",
            "message": "plan.pdf is 5.00 MB; an attachment can be at most 5 MB.",
        }
    ]
    assert nothing_sent()


def test_attachments_over_25_mb_once_encoded_are_attachments_too_large(api, invoice):
    # Four files of 4.8 MB: each within its limit, 19.2 MB of bytes, over 25 MB in base64.
    size = 48 * MAX_ATTACHMENT_BYTES // 50
    files = [upload(f"part{i}.pdf", pdf_of_size(size)) for i in range(4)]
    assert size * 4 < MAX_TOTAL_BYTES < size * 4 * 4 // 3

    response = multipart(api, send_path(invoice), {"attachments": files})

    [error] = field_error(response, "attachments")
    assert error["code"] == "attachments_too_large"
    assert error["message"].startswith("With its attachments the email would be 26.")
    assert error["message"].endswith("MB; the limit is 25 MB. Send some files in a separate email.")
    assert nothing_sent()


def test_an_exe_is_attachment_type_refused(api, invoice):
    response = multipart(
        api, send_path(invoice), {"attachments": [upload("setup.exe", b"MZ\x90\x00" * 16)]}
    )
    assert field_error(response, "attachments") == [
        {
            "code": "attachment_type_refused",
            "message": "setup.exe cannot be attached: .exe files can run programs or scripts.",
        }
    ]


def test_a_draft_is_document_not_finalized(api, company, client_fr):
    draft = make_document(company, client_fr)
    response = api.post(send_path(draft), {})
    assert field_error(response, "non_field_errors") == [
        {
            "code": "document_not_finalized",
            "message": f"{draft.display_title} is still a draft: finalize it before sending.",
        }
    ]
    assert nothing_sent()


def test_ubl_for_a_quote_is_file_format_not_offered(api, company, client_fr):
    quote = make_finalized(company, client_fr, kind="quote")
    response = api.post(send_path(quote), {"file_format": "ubl"})
    assert field_error(response, "file_format") == [
        {
            "code": "file_format_not_offered",
            "message": "A quote cannot be sent as UBL: UBL (Peppol) exists only for invoices "
            "and credit notes. Choose PDF.",
        }
    ]


def test_ubl_for_a_client_without_an_address_is_ubl_invalid(api, company):
    client = make_client(company, language="fr", street="", emails=("compta@cafe.example",))
    invoice = make_finalized(company, client)
    response = api.post(send_path(invoice), {"file_format": "ubl"})
    assert field_error(response, "file_format") == [
        {
            "code": "ubl_invalid",
            "message": "The client has no complete address (street, postal code, city and "
            "country): required for UBL. Add it to the client. A finalized document keeps the "
            "client data it had, so send this one as PDF, or credit it and issue it again.",
        }
    ]
    assert nothing_sent()


def test_own_smtp_without_a_server_is_sender_not_configured(api, company, invoice):
    settings_row = email_settings_for(company)
    settings_row.method = Method.SMTP
    settings_row.smtp_host = ""
    settings_row.save()
    response = api.post(send_path(invoice), {})
    assert field_error(response, "non_field_errors") == [
        {
            "code": "sender_not_configured",
            "message": "Your email settings use Own mailbox (SMTP) but the server or the "
            "from-address is missing: complete them in Settings > Email settings.",
        }
    ]
    assert nothing_sent()


def test_an_unknown_field_is_refused_by_name(api, invoice):
    response = api.post(send_path(invoice), {"subjet": SUBJECT})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "unknown_field"
    assert error["fields"] == {
        "subjet": [
            {"code": "unknown_field", "message": "Unknown field: remove it, or check its spelling."}
        ]
    }
    assert nothing_sent()


def test_a_refusal_is_in_the_requests_language(api, invoice):
    response = api.post(send_path(invoice), {"to": []}, HTTP_ACCEPT_LANGUAGE="fr")
    [problem] = field_error(response, "to")
    assert problem["code"] == "recipient_missing"
    assert problem["message"] != "Add at least one recipient in To."


# Size


def test_a_body_over_the_upload_limit_is_413_before_it_is_read(api, invoice):
    huge = small_pdf("huge")
    huge += b"%" + b"0" * (MAX_TOTAL_BYTES + 1024 * 1024 - len(huge))
    body = encode_multipart(BOUNDARY, {"attachments": [upload("huge.pdf", huge)]})

    response = api.http.post(
        send_path(invoice),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **api.headers({}),
    )

    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert error["message"] == (
        f"The request body is {-(-len(body) // 1024)} KB; this endpoint accepts at most 26624 KB."
    )
    assert nothing_sent()


# Idempotency: one message at the SMTP server


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_twice_sends_one_message(sandbox, company, owner, client_fr):
    invoice = make_finalized(company, client_fr)
    prestore_pdf(invoice)
    http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token_create(company, owner, 'Shop').secret}")
    headers = {"HTTP_IDEMPOTENCY_KEY": "5d0f4a8e-0b7e-4f55-9d0a-2c4b7f1e9a31"}
    body = {"subject": SUBJECT, "body": BODY}

    first = http.post(send_path(invoice), body, content_type="application/json", **headers)
    again = http.post(send_path(invoice), body, content_type="application/json", **headers)
    run_worker()

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert OutgoingEmail.objects.count() == 1
    [message] = SandboxMessage.objects.all()
    assert message.envelope_recipients == ["compta@cafe-elysee.example"]

"""One path from a send request to the rows: the same bad input gets the same message, under
the same field, whether it comes through the page's POST, ``send_problems``, ``email_send`` or
a bulk send; and no service enqueues: the caller wakes delivery after its commit."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django_tasks.signals import task_enqueued

from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.requests import NewAttachment, SendRequest, bulk_send, email_send
from porto.mail.send.limits import MAX_ATTACHMENT_BYTES, MAX_BODY_CHARS, MAX_RECIPIENTS
from porto.mail.send.problems import send_problems
from tests.factories import make_client, make_document, make_finalized
from tests.web.conftest import prestore_pdf, small_pdf

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
SUBJECT = "Votre facture"
BODY = "Bonjour,\n\nVeuillez trouver la facture en annexe."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def big_pdf() -> bytes:
    base = small_pdf("plan")
    return base + b"%" + b"0" * (MAX_ATTACHMENT_BYTES + 1 - len(base))


# Each case: what the person typed, the field the problem belongs to, and its message.
CASES = {
    "too many recipients": (
        {"to": [f"client{i}@cafe-elysee.example" for i in range(MAX_RECIPIENTS + 1)]},
        "to",
        [f"An email can have at most {MAX_RECIPIENTS} recipients; this one has 51."],
    ),
    "bad address": (
        {"to": ["compta@cafe-elysee"]},
        "to",
        None,  # the address parser's own words; the point is that every door shows them
    ),
    "no recipient": ({"to": []}, "to", ["Add at least one recipient in To."]),
    "empty subject": ({"subject": ""}, "subject", ["Give the email a subject."]),
    "too long body": (
        {"body": "x" * (MAX_BODY_CHARS + 1)},
        "body",
        [f"The message has {MAX_BODY_CHARS + 1} characters; it can have at most 20000."],
    ),
    "too many attachments": (
        {"attachments": [(f"photo{i}.png", PNG) for i in range(11)]},
        "attachments",
        ["You added 11 attachments; an email can have at most 10."],
    ),
    "too large attachment": (
        {"attachments": [("plan.pdf", big_pdf())]},
        "attachments",
        ["plan.pdf is 5.00 MB; an attachment can be at most 5 MB."],
    ),
}


def as_request(document, typed: dict) -> SendRequest:
    return SendRequest(
        document=document,
        to=typed.get("to", ["compta@cafe-elysee.example"]),
        subject=typed.get("subject", SUBJECT),
        body_text=typed.get("body", BODY),
        file_format="pdf",
        attachments=[NewAttachment(name, data) for name, data in typed.get("attachments", [])],
    )


def as_post(typed: dict) -> dict:
    return {
        "to": typed.get("to", ["compta@cafe-elysee.example"]),
        "cc": "",
        "bcc": "",
        "subject": typed.get("subject", SUBJECT),
        "body": typed.get("body", BODY),
        "file_format": "pdf",
        "idempotency_key": uuid.uuid4().hex,
        "attachments": [SimpleUploadedFile(n, d) for n, d in typed.get("attachments", [])],
    }


def through_the_page(http, document, typed: dict) -> dict:
    response = http.post(reverse("document_send", args=[document.pk]), as_post(typed), **JSON)
    assert response.status_code == 400, response.content
    return response.json()["errors"]


def through_the_service(document, typed: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        email_send(as_request(document, typed))
    return caught.value.message_dict


@pytest.mark.parametrize("case", CASES)
def test_the_same_bad_input_gets_the_same_message_at_every_door(owner_client, invoice, case):
    typed, field, expected = CASES[case]
    problems = send_problems(as_request(invoice, typed))
    assert through_the_service(invoice, typed) == problems
    assert through_the_page(owner_client, invoice, typed) == problems
    assert list(problems) == [field]
    if expected is not None:
        assert problems[field] == expected
    assert not OutgoingEmail.objects.exists()


def test_a_bad_address_is_named_in_the_message(invoice):
    [message] = send_problems(as_request(invoice, {"to": ["compta@cafe-elysee"]}))["to"]
    assert "compta@cafe-elysee" in message


def test_a_draft_is_refused_with_one_message_at_every_door(owner_client, company, client_fr):
    draft = make_document(company, client_fr)
    expected = {"__all__": ["Invoice is still a draft: finalize it before sending."]}
    assert send_problems(as_request(draft, {})) == expected
    assert through_the_service(draft, {}) == expected
    assert through_the_page(owner_client, draft, {}) == expected
    job = bulk_send(company, [draft.pk])
    assert [s["reason"]["params"]["problems"]["en"] for s in job.skipped] == expected["__all__"]


def test_bulk_send_skips_a_bad_default_address_with_the_single_sends_message(company):
    client = make_client(company, language="fr", emails=("compta@cafe-elysee",))
    document = make_finalized(company, client)
    prestore_pdf(document)
    single = send_problems(SendRequest(document=document, to=["compta@cafe-elysee"]))
    job = bulk_send(company, [document.pk])
    assert [s["reason"]["params"]["problems"]["en"] for s in job.skipped] == single["to"]
    assert not job.emails.exists()


def test_a_valid_request_has_no_problems(invoice):
    assert send_problems(as_request(invoice, {})) == {}
    assert not OutgoingEmail.objects.exists()  # asking writes nothing


# Services never enqueue


@pytest.fixture
def enqueued():
    """Every task enqueued while the test runs, whatever the backend."""
    seen: list = []

    def record(sender, task_result, **kwargs):
        seen.append(task_result)

    task_enqueued.connect(record)
    yield seen
    task_enqueued.disconnect(record)


def test_email_send_in_a_rolled_back_transaction_leaves_no_task(
    invoice, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            email_send(as_request(invoice, {}))
            transaction.set_rollback(True)
        email_send(as_request(invoice, {}))  # committed, and still nothing woken
    assert callbacks == []
    assert enqueued == []
    assert OutgoingEmail.objects.count() == 1


def test_the_page_wakes_delivery_once_after_the_commit(
    owner_client, invoice, enqueued, django_capture_on_commit_callbacks
):
    data = as_post({})
    url = reverse("document_send", args=[invoice.pk])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert owner_client.post(url, data, **JSON).status_code == 200
        assert owner_client.post(url, data, **JSON).status_code == 200  # same key: no resend
    email = OutgoingEmail.objects.get()
    assert len(callbacks) == 1
    [task] = enqueued
    assert task.task.name == "deliver_emails"
    assert task.args == [[email.pk]]


def test_a_refused_page_post_wakes_nothing(owner_client, invoice, enqueued):
    through_the_page(owner_client, invoice, {"subject": ""})
    assert enqueued == []


def test_the_bulk_page_wakes_its_emails_once_after_the_commit(
    owner_client, company, client_fr, enqueued, django_capture_on_commit_callbacks
):
    documents = [make_finalized(company, client_fr) for _ in range(3)]
    for document in documents:
        prestore_pdf(document)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        owner_client.post(reverse("bulk_start"), {"documents": [d.pk for d in documents]})
    job = BulkJob.objects.get()
    assert len(callbacks) == 1
    [task] = enqueued
    assert sorted(task.args[0]) == sorted(job.emails.values_list("pk", flat=True))


def test_the_bulk_summary_plans_without_waking_anything(owner_client, invoice, enqueued):
    response = owner_client.post(reverse("bulk_summary"), {"documents": [invoice.pk]})
    assert response.status_code == 200
    assert enqueued == []
    assert not OutgoingEmail.objects.exists()

"""Uploads are read with ``porto.mail.send.uploads.SendUploadHandler``: a body too large for
any email is not read, a file past 5 MB is not kept, a nameless file is not dropped, and every
file's problem is shown. Bodies are real multipart bytes, posted to the real views."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.test.client import encode_multipart
from django.urls import reverse

from porto.api.services import token_create
from porto.mail.models import OutgoingEmail
from porto.mail.send import uploads
from porto.mail.send.limits import MAX_ATTACHMENT_BYTES, MAX_UPLOAD_BYTES
from tests.pdfs import pdf_of_size, pdf_with_javascript, plain_pdf

BOUNDARY = "porto-test-boundary"
JSON = {"HTTP_ACCEPT": "application/json"}
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def no_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class CountingStream:
    """A request body that counts what the server read of it."""

    def __init__(self, content: bytes) -> None:
        self._stream = io.BytesIO(content)
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.read_bytes += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self.read_bytes += len(data)
        return data


def form_fields(**more) -> dict:
    return {
        "to": "compta@cafe-elysee.example",
        "subject": "Votre facture",
        "body": "Bonjour,\n\nVeuillez trouver la facture en annexe.",
        "file_format": "pdf",
        "idempotency_key": uuid.uuid4().hex,
    } | more


def part(name: str, filename: str, content: bytes) -> bytes:
    """One file part as a browser writes it (Django's encode_multipart cannot write an empty
    file name)."""
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
            f"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )


def body_with(fields: dict, *files: bytes) -> bytes:
    """``fields`` then the file parts ``files``, as one multipart body."""
    head = encode_multipart(BOUNDARY, fields).rsplit(f"--{BOUNDARY}--".encode(), 1)[0]
    return head + b"".join(files) + f"--{BOUNDARY}--\r\n".encode()


def post_page(http, document, body: bytes):
    return http.generic(
        "POST",
        reverse("document_send", args=[document.pk]),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **JSON,
    )


def page_errors(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["errors"]


# Too large to read


def test_a_body_over_the_limit_is_refused_by_the_page_before_it_is_read(owner_client, invoice):
    huge = pdf_of_size(MAX_UPLOAD_BYTES + MIB)
    response = post_page(
        owner_client, invoice, body_with(form_fields(), part("attachments", "plan.pdf", huge))
    )
    assert response.status_code == 413
    assert response.json()["errors"] == {
        "attachments": [
            "The files you attached add up to more than 26 MB, more than an email can carry: "
            "attach fewer or smaller files, or send them in separate emails."
        ]
    }
    assert not OutgoingEmail.objects.exists()


def test_the_handler_reads_nothing_of_a_body_whose_length_is_over_the_limit(rf: RequestFactory):
    body = body_with(
        form_fields(), part("attachments", "plan.pdf", b"0" * (MAX_UPLOAD_BYTES + MIB))
    )
    request = rf.generic(
        "POST", "/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    stream = CountingStream(body)
    request._stream = stream
    handler = uploads.install(request)

    assert request.FILES.getlist("attachments") == []
    assert handler.stopped
    assert stream.read_bytes == 0


def test_the_handler_stops_reading_at_the_limit_when_the_length_lies():
    """A body larger than its Content-Length says (or sent without one) is read only up to
    the limit: the rest stays unread."""
    content = b"0" * (3 * MAX_UPLOAD_BYTES)
    body = body_with({"to": "a@b.example"}, part("attachments", "plan.pdf", content))
    stream = CountingStream(body)
    handler = uploads.SendUploadHandler()
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}", "CONTENT_LENGTH": "1000"}

    post, files = handler.handle_raw_input(stream, meta, 1000, BOUNDARY.encode(), "utf-8")

    assert handler.stopped
    assert post["to"] == "a@b.example"
    assert files.getlist("attachments") == []
    assert stream.read_bytes < MAX_UPLOAD_BYTES + 2 * handler.chunk_size
    assert stream.read_bytes < len(body) // 2


# One file too large


def test_a_file_past_5_mb_is_not_kept_and_its_message_gives_its_real_size(owner_client, invoice):
    big = pdf_of_size(7 * MIB)
    body = body_with(form_fields(), part("attachments", "plan.pdf", big))
    assert page_errors(post_page(owner_client, invoice, body)) == {
        "attachments": ["plan.pdf is 7.00 MB; an attachment can be at most 5 MB."]
    }


def test_the_handler_keeps_at_most_5_mb_of_a_file(rf: RequestFactory):
    body = body_with({}, part("attachments", "plan.pdf", b"0" * (7 * MIB)))
    request = rf.generic(
        "POST", "/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    handler = uploads.install(request)
    kept = []
    receive = handler.receive_data_chunk

    def watched(raw_data, start):
        receive(raw_data, start)
        kept.append(handler.kept.tell() if handler.kept is not None else 0)

    handler.receive_data_chunk = watched

    [upload] = request.FILES.getlist("attachments")

    assert max(kept) <= MAX_ATTACHMENT_BYTES
    assert kept[-1] == 0  # let go once past the limit
    assert upload.size == 7 * MIB
    assert upload.read() == b""
    [attachment] = uploads.new_attachments([upload])
    assert attachment.size == 7 * MIB
    assert attachment.content == b""


# Names and empty files


def test_a_nameless_file_gets_a_message_instead_of_being_dropped(owner_client, invoice):
    body = body_with(form_fields(), part("attachments", "", plain_pdf()))
    [message] = page_errors(post_page(owner_client, invoice, body))["attachments"]
    assert message.startswith("A file of ")
    assert message.endswith(" has no name: give it a name and attach it again.")


def test_the_empty_part_of_no_file_chosen_is_left_out(owner_client, invoice):
    body = body_with(form_fields(), part("attachments", "", b""))
    response = post_page(owner_client, invoice, body)
    assert response.status_code == 200, response.content
    email = OutgoingEmail.objects.get()
    assert [a.filename for a in email.attachments.filter(is_document_file=False)] == []


def test_a_file_name_with_folders_reaches_the_checks_and_loses_its_folders(owner_client, invoice):
    body = body_with(form_fields(), part("attachments", "C:\\Users\\jan\\terms.pdf", plain_pdf()))
    assert post_page(owner_client, invoice, body).status_code == 200
    email = OutgoingEmail.objects.get()
    assert [a.filename for a in email.attachments.filter(is_document_file=False)] == ["terms.pdf"]


def test_an_empty_file_does_not_hide_the_other_files_problems(owner_client, invoice):
    body = body_with(
        form_fields(),
        part("attachments", "empty.pdf", b""),
        part("attachments", "setup.exe", b"MZ\x90\x00"),
        part("attachments", "scan.pdf", plain_pdf()[:200]),
    )
    problems = page_errors(post_page(owner_client, invoice, body))["attachments"]
    assert [p.split(" ")[0] for p in problems] == ["empty.pdf", "setup.exe", "scan.pdf"]


def test_the_sender_is_told_what_was_removed_from_a_pdf(owner_client, invoice):
    body = body_with(form_fields(), part("attachments", "form.pdf", pdf_with_javascript()))
    assert post_page(owner_client, invoice, body).status_code == 200
    page = owner_client.get(reverse("document", args=[invoice.pk]))
    assert "Active content was removed from form.pdf (scripts)" in page.content.decode()


# The API reads uploads the same way


def api_post(http, token: str, document, body: bytes):
    return http.generic(
        "POST",
        f"/api/v1/documents/{document.pk}/send/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_api_names_a_nameless_file_and_gives_a_large_files_real_size(
    client, company, owner, invoice
):
    token = token_create(company, owner, "Integration").secret
    body = body_with(
        {"to": "compta@cafe-elysee.example"},
        part("attachments", "", plain_pdf()),
        part("attachments", "plan.pdf", pdf_of_size(6 * MIB)),
    )
    response = api_post(client, token, invoice, body)
    assert response.status_code == 400, response.content
    errors = response.json()["error"]["fields"]["attachments"]
    assert [e["code"] for e in errors] == ["attachment_name_invalid", "attachment_too_large"]
    assert errors[1]["message"] == "plan.pdf is 6.00 MB; an attachment can be at most 5 MB."


def test_the_api_takes_simple_uploads_as_before(client, company, owner, invoice):
    token = token_create(company, owner, "Integration").secret
    body = encode_multipart(
        BOUNDARY,
        {
            "to": "compta@cafe-elysee.example",
            "attachments": [SimpleUploadedFile("t.pdf", plain_pdf())],
        },
    )
    assert api_post(client, token, invoice, body).status_code == 202


def test_a_file_whose_content_looks_like_a_nameless_part_header_is_kept_as_it_is(rf):
    """Only part headers are marked: a file's own bytes are never rewritten."""
    content = b'Content-Disposition: form-data; name="attachments"; filename=""\r\n\r\nend\r\n'

    body = body_with({}, part("attachments", "notes.txt", content))
    request = rf.generic(
        "POST", "/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    uploads.install(request)
    [upload] = request.FILES.getlist("attachments")
    assert upload.read() == content

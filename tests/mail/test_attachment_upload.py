"""Uploads are read with ``porto.mail.send.uploads.SendUploadHandler``: a body too large for
any email is not read, a file past 5 MB is not kept whole, the empty part of "no file chosen"
is left out, and a file's own bytes are never rewritten. Bodies are real multipart bytes. What
the doors answer to each hostile upload (names, contents, sizes, empty files) is an entry of
``tests/hostile/catalogue.py``, tried by ``tests/hostile/test_upload.py``."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.test.client import encode_multipart

from porto.api.services import token_create
from porto.mail.models import OutgoingEmail
from porto.mail.send import uploads
from porto.mail.send.limits import MAX_ATTACHMENT_BYTES, MAX_UPLOAD_BYTES
from tests.hostile.uploads import BOUNDARY, body_with, form_fields, part, post_api, post_page
from tests.pdfs import plain_pdf

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


# Too large to read


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


def test_the_empty_part_of_no_file_chosen_is_left_out(owner_client, invoice):
    body = body_with(form_fields(), part("attachments", "", b""))
    response = post_page(owner_client, invoice, body)
    assert response.status_code == 200, response.content
    email = OutgoingEmail.objects.get()
    assert [a.filename for a in email.attachments.filter(is_document_file=False)] == []


# The API reads uploads the same way


def test_the_api_takes_simple_uploads_as_before(client, company, owner, invoice):
    token = token_create(company, owner, "Integration").secret
    body = encode_multipart(
        BOUNDARY,
        {
            "to": "compta@cafe-elysee.example",
            "attachments": [SimpleUploadedFile("t.pdf", plain_pdf())],
        },
    )
    assert post_api(client, token, invoice, body).status_code == 202


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


@pytest.mark.parametrize(
    ("language", "words"),
    [("nl", "een Windows-programma"), ("fr", "un programme Windows"), ("en", "a Windows program")],
)
def test_a_program_is_named_in_the_readers_language_whatever_was_active_at_import(language, words):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from porto.mail.checks import clean_attachment

    with translation.override(language), pytest.raises(ValidationError) as refused:
        clean_attachment("factuur.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    assert words in " ".join(refused.value.messages)

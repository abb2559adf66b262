"""Attached files through the real doors, over every catalogue entry tried on ``upload``: the
send pop-up's upload (a multipart POST to the document's send view, JSON answer) and the API's
multipart send. A refusal names each bad file in its own message, in order (and for the API
with its stable code), and nothing is stored or queued; a file name with folders goes out as
the file's own name, an encoded word as the name it reads; a PDF with active content goes out
without it, and the sender is told on the document's page; an ordinary file goes out byte for
byte."""

import io
from email import message_from_bytes, policy

import pytest
from django.urls import reverse
from pypdf import PdfReader

from porto.api.services import token_create
from porto.mail.compose import as_bytes, compose
from porto.mail.models import Attachment, OutgoingEmail
from porto.mail.send.pdfs import pdf_active_content
from tests.hostile.catalogue import Accepted, Neutralised, Refused, cases
from tests.hostile.uploads import body_with, form_fields, part, post_api, post_page

pytestmark = pytest.mark.django_db

REMOVED = "Active content was removed from {name}"


@pytest.fixture
def token(company, owner) -> str:
    return token_create(company, owner, "Boekhouding").secret


def posted(door: str, http, token: str, document, files: list[tuple[str, bytes]]):
    parts = [part("attachments", name, content) for name, content in files]
    if door == "api":
        return post_api(
            http, token, document, body_with({"to": "compta@cafe-elysee.example"}, *parts)
        )
    return post_page(http, document, body_with(form_fields(), *parts))


def refusals(door: str, response) -> tuple[list[str], list[str]]:
    """The messages under Attachments (and their codes: the API's), or the body's refusal."""
    assert 400 <= response.status_code < 500, response.content
    if door == "api":
        error = response.json()["error"]
        if "fields" not in error:  # refused as a whole body (413)
            return [error["message"]], [error["code"]]
        problems = error["fields"]["attachments"]
        return [p["message"] for p in problems], [p["code"] for p in problems]
    return response.json()["errors"]["attachments"], []


def assert_refused(door: str, response, outcome: Refused) -> None:
    messages, codes = refusals(door, response)
    expected = [outcome.fragment, *outcome.also]
    assert len(messages) == len(expected), messages
    for message, fragment in zip(messages, expected, strict=True):
        assert fragment in message, messages
    if door == "api":
        assert codes[0] == outcome.code
    assert not OutgoingEmail.objects.exists()
    assert not Attachment.objects.exists()


def the_file_sent() -> Attachment:
    email = OutgoingEmail.objects.get()
    [attachment] = email.attachments.filter(is_document_file=False).select_related("blob")
    return attachment


def names_the_recipient_reads(email: OutgoingEmail) -> list[str]:
    """The names of the attached files (not the document's) in the message that goes out."""
    message = message_from_bytes(as_bytes(compose(email)), policy=policy.default)
    files = email.attachments.order_by("position")
    documents = {a.filename for a in files if a.is_document_file}
    return [
        p.get_filename() for p in message.iter_attachments() if p.get_filename() not in documents
    ]


@pytest.mark.parametrize(("entry", "use"), cases("upload"))
def test_each_file_is_refused_by_name_cleaned_and_told_or_sent_byte_for_byte(
    client, owner, token, invoice, entry, use
):
    files = entry.built()
    given = [(file.name, file.built()) for file in files]  # built once: encryption is random
    if use.field != "api":
        client.force_login(owner)
    response = posted(use.field, client, token, invoice, given)
    if isinstance(use.outcome, Refused):
        return assert_refused(use.field, response, use.outcome)
    assert response.status_code in (200, 202), response.content
    [file] = files
    [(_name, original)] = given
    sent = the_file_sent()
    content = bytes(sent.blob.content)
    if isinstance(use.outcome, Accepted):
        assert (sent.filename, content, sent.removed_content) == (file.name, original, [])
        return
    assert isinstance(use.outcome, Neutralised)
    if use.outcome.check in ("folders dropped", "encoded word read"):
        assert (sent.filename, content) == (file.reads_as, original)
        assert names_the_recipient_reads(sent.email) == [file.reads_as]
        return
    assert use.outcome.check == "active content removed"
    assert sent.filename == file.name
    assert pdf_active_content(original) != frozenset()
    assert sent.removed_content == sorted(pdf_active_content(original))
    assert pdf_active_content(content) == frozenset()
    assert len(PdfReader(io.BytesIO(content)).pages) == 1  # the page itself is kept
    if use.field == "api":
        assert response.json()["attachments"][-1]["removed_content"] == sent.removed_content
    else:
        page = client.get(reverse("document", args=[invoice.pk])).content.decode()
        assert REMOVED.format(name=file.name) in page


def test_an_outsider_uploading_to_another_companys_document_gets_404(outsider_client, invoice):
    files = [("invoice\u202efdp.exe", b"MZ\x90\x00")]
    response = posted("attachments", outsider_client, "", invoice, files)
    assert response.status_code == 404
    assert not OutgoingEmail.objects.exists()
    assert not Attachment.objects.exists()

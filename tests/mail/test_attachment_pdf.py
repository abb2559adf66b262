"""Attached PDFs: active content never leaves unchanged, damaged files never leave at all.

Every PDF here is a real one made with pypdf (``tests/pdfs.py``); what goes out is read back
from the MIME message ``porto.mail.compose`` builds."""

import email
import email.policy
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from porto.mail.checks import removed_note
from porto.mail.compose import as_bytes, compose
from porto.mail.models import Attachment, OutgoingEmail
from porto.mail.requests import NewAttachment, SendRequest, email_send
from porto.mail.send.pdfs import ActiveContent, pdf_active_content
from tests.pdfs import (
    pdf_with_embedded_file,
    pdf_with_javascript,
    pdf_with_launch,
    pdf_with_open_action_script,
    plain_pdf,
)


def send_with(invoice, *files: tuple[str, bytes]) -> OutgoingEmail:
    return email_send(
        SendRequest(
            document=invoice,
            to=["compta@cafe-elysee.example"],
            attachments=[NewAttachment(name, content) for name, content in files],
        )
    )


def problems_of(invoice, *files: tuple[str, bytes]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        send_with(invoice, *files)
    assert OutgoingEmail.objects.count() == 0
    return caught.value.message_dict["attachments"]


def attachment_sent(sent: OutgoingEmail, filename: str) -> bytes:
    """The bytes of ``filename`` as they are in the message that goes out."""
    message = email.message_from_bytes(as_bytes(compose(sent)), policy=email.policy.default)
    [part] = [p for p in message.iter_attachments() if p.get_filename() == filename]
    return part.get_payload(decode=True)


@pytest.mark.parametrize(
    "make,kind",
    [
        (pdf_with_javascript, ActiveContent.JAVASCRIPT),
        (pdf_with_open_action_script, ActiveContent.JAVASCRIPT),
        (pdf_with_launch, ActiveContent.LAUNCH),
        (pdf_with_embedded_file, ActiveContent.EMBEDDED_FILES),
    ],
    ids=["javascript", "open_action_script", "launch", "embedded_file"],
)
def test_a_pdf_with_active_content_goes_out_without_it_and_keeps_its_page(invoice, make, kind):
    original = make()
    assert pdf_active_content(original) == {kind}

    sent = send_with(invoice, ("form.pdf", original))

    out = attachment_sent(sent, "form.pdf")
    assert out != original
    assert pdf_active_content(out) == frozenset()
    assert len(PdfReader(io.BytesIO(out)).pages) == 1
    stored = Attachment.objects.get(email=sent, filename="form.pdf")
    assert stored.removed_content == [kind.value]


def test_an_embedded_program_is_not_in_the_bytes_that_go_out(invoice):
    sent = send_with(invoice, ("order.pdf", pdf_with_embedded_file()))
    out = attachment_sent(sent, "order.pdf")
    assert b"setup.exe" not in out
    assert b"/EmbeddedFiles" not in out


def test_a_pdf_without_active_content_goes_out_byte_for_byte(invoice):
    original = plain_pdf()
    sent = send_with(invoice, ("terms.pdf", original))
    assert attachment_sent(sent, "terms.pdf") == original
    assert Attachment.objects.get(email=sent, filename="terms.pdf").removed_content == []


def test_the_note_names_the_file_and_what_was_removed(invoice):
    sent = send_with(invoice, ("form.pdf", pdf_with_launch()))
    [stored] = [a for a in sent.attachments.all() if a.filename == "form.pdf"]
    assert removed_note(stored.filename, stored.removed_content) == (
        "Active content was removed from form.pdf (a command that starts a program): the "
        "pages are sent unchanged, without anything that could run on your client's computer."
    )
    assert removed_note("terms.pdf", []) == ""


def test_a_truncated_pdf_is_refused_with_its_name(invoice):
    whole = plain_pdf()
    assert problems_of(invoice, ("scan.pdf", whole[: len(whole) // 2])) == [
        "scan.pdf is cut off: its end is missing, so it cannot be opened. Download or export "
        "it again and attach the new file."
    ]


def test_a_pdf_header_on_garbage_is_refused_as_unreadable(invoice):
    fake = b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
    [message] = problems_of(invoice, ("offer.pdf", fake))
    assert message.startswith("offer.pdf starts like a PDF but cannot be read as one")


def test_a_zip_renamed_pdf_is_refused_naming_the_file(invoice):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("invoice.exe", b"MZ\x90\x00" + b"\x00" * 60)
    [message] = problems_of(invoice, ("invoice.pdf", archive.getvalue()))
    assert message.startswith("invoice.pdf is a ZIP archive")


def test_every_damaged_file_gets_its_own_message(invoice):
    whole = plain_pdf()
    problems = problems_of(
        invoice,
        ("first.pdf", whole[:100]),
        ("empty.pdf", b""),
        ("second.pdf", whole[:200]),
        ("fine.pdf", whole),
    )
    assert [p.split(" ")[0] for p in problems] == ["first.pdf", "empty.pdf", "second.pdf"]

"""Attached PDFs: an embedded program is not in the bytes that go out, and the note to the
sender names what was removed. Every PDF here is a real one made with pypdf
(``tests/pdfs.py``); what goes out is read back from the MIME message ``porto.mail.compose``
builds. Each kind of hostile PDF (scripts, launch actions, embedded files, passwords, cut-off
or disguised files) is an entry of ``tests/hostile/catalogue.py``, tried through the real
upload doors by ``tests/hostile/test_upload.py``."""

import email
import email.policy

from porto.mail.checks import removed_note
from porto.mail.compose import as_bytes, compose
from porto.mail.models import OutgoingEmail
from porto.mail.requests import NewAttachment, SendRequest, email_send
from tests.pdfs import pdf_with_embedded_file, pdf_with_launch


def send_with(invoice, *files: tuple[str, bytes]) -> OutgoingEmail:
    return email_send(
        SendRequest(
            document=invoice,
            to=["compta@cafe-elysee.example"],
            attachments=[NewAttachment(name, content) for name, content in files],
        )
    )


def attachment_sent(sent: OutgoingEmail, filename: str) -> bytes:
    """The bytes of ``filename`` as they are in the message that goes out."""
    message = email.message_from_bytes(as_bytes(compose(sent)), policy=email.policy.default)
    [part] = [p for p in message.iter_attachments() if p.get_filename() == filename]
    return part.get_payload(decode=True)


def test_an_embedded_program_is_not_in_the_bytes_that_go_out(invoice):
    sent = send_with(invoice, ("order.pdf", pdf_with_embedded_file()))
    out = attachment_sent(sent, "order.pdf")
    assert b"setup.exe" not in out
    assert b"/EmbeddedFiles" not in out


def test_the_note_names_the_file_and_what_was_removed(invoice):
    sent = send_with(invoice, ("form.pdf", pdf_with_launch()))
    [stored] = [a for a in sent.attachments.all() if a.filename == "form.pdf"]
    assert removed_note(stored.filename, stored.removed_content) == (
        "Active content was removed from form.pdf (a command that starts a program): the "
        "pages are sent unchanged, without anything that could run on your client's computer."
    )
    assert removed_note("terms.pdf", []) == ""

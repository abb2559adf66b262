"""The 25 MB limit counts the email as it travels (base64 grows files by a third, plus line
breaks), measured against the MIME message ``porto.mail.compose`` really builds."""

import base64

import pytest
from django.core.exceptions import ValidationError

from porto.mail.compose import as_bytes, compose
from porto.mail.models import OutgoingEmail
from porto.mail.requests import NewAttachment, SendRequest, email_send
from porto.mail.send.limits import (
    MAX_ATTACHMENT_BYTES,
    MAX_TOTAL_BYTES,
    encoded_size,
    message_size,
)
from tests.pdfs import pdf_of_size

MIB = 1024 * 1024


def send_with(invoice, sizes: list[int]) -> OutgoingEmail:
    files = [NewAttachment(f"part{i}.pdf", pdf_of_size(size)) for i, size in enumerate(sizes)]
    return email_send(
        SendRequest(document=invoice, to=["compta@cafe-elysee.example"], attachments=files)
    )


def test_base64_with_line_breaks_is_what_the_email_package_writes():
    for size in (0, 1, 2, 3, 57, 58, 1000, MAX_ATTACHMENT_BYTES):
        written = base64.encodebytes(b"\x00" * size).replace(b"\n", b"\r\n")
        assert encoded_size(size) == len(written), size


def test_the_estimate_is_never_below_the_real_message_and_close_to_it(invoice):
    sent = send_with(invoice, [MIB, 2 * MIB, 3 * MIB])
    real = len(as_bytes(compose(sent)))
    attachments = [a.blob.size for a in sent.attachments.select_related("blob")]
    estimate = message_size(
        attachments,
        text_bytes=len(sent.body_text.encode()),
        html_bytes=len(sent.body_html.encode()),
    )
    assert real <= estimate
    assert estimate - real < 64 * 1024  # within 64 KB of 8 MB


def test_files_that_fit_raw_but_not_encoded_are_refused_with_the_real_size(invoice):
    sizes = [MAX_ATTACHMENT_BYTES] * 5  # 25 MB of bytes: 34.2 MB as it travels
    assert sum(sizes) <= MAX_TOTAL_BYTES
    with pytest.raises(ValidationError) as caught:
        send_with(invoice, sizes)
    [message] = caught.value.message_dict["attachments"]
    assert message.startswith("With its attachments the email would be 34.")
    assert message.endswith(" MB; the limit is 25 MB. Send some files in a separate email.")
    assert OutgoingEmail.objects.count() == 0


def test_an_accepted_email_is_within_the_limit_as_it_travels(invoice):
    sent = send_with(invoice, [4 * MIB + 512 * 1024] * 4)  # 18 MB of files
    assert len(as_bytes(compose(sent))) <= MAX_TOTAL_BYTES

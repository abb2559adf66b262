"""Attachment names: checked as the recipient's mail program will show them."""

import email
import email.policy

import pytest
from django.core.exceptions import ValidationError

from porto.mail.compose import as_bytes, compose
from porto.mail.models import OutgoingEmail
from porto.mail.requests import NewAttachment, SendRequest, email_send
from tests.pdfs import plain_pdf


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


def names_sent(sent: OutgoingEmail) -> list[str]:
    message = email.message_from_bytes(as_bytes(compose(sent)), policy=email.policy.default)
    return [part.get_filename() for part in message.iter_attachments()][1:]


def test_an_encoded_word_hiding_a_program_is_refused_by_its_decoded_name(invoice):
    assert problems_of(invoice, ("=?utf-8?q?evil.exe?=.pdf", plain_pdf())) == [
        "evil.exe.pdf cannot be attached: .exe files can run programs or scripts."
    ]


def test_an_encoded_word_in_base64_is_decoded_too(invoice):
    [message] = problems_of(invoice, ("=?utf-8?b?ZXZpbC5leGU=?=.pdf", plain_pdf()))
    assert message.startswith("evil.exe.pdf cannot be attached: .exe files")


def test_an_encoded_name_goes_out_as_the_name_it_reads(invoice):
    sent = send_with(invoice, ("=?utf-8?q?offerte_caf=C3=A9?=.pdf", plain_pdf()))
    assert names_sent(sent) == ["offerte café.pdf"]


def test_an_encoded_word_that_cannot_be_decoded_is_refused(invoice):
    [message] = problems_of(invoice, ("=?utf-8?b?ZXZpbC5le?=.pdf", plain_pdf()))
    assert "cannot be read: rename the file and attach it again." in message


@pytest.mark.parametrize(
    "given,kept",
    [
        ("C:\\Users\\jan\\Documents\\offerte.pdf", "offerte.pdf"),
        ("../../etc/offerte.pdf", "offerte.pdf"),
        ("/home/jan/offerte.pdf", "offerte.pdf"),
    ],
)
def test_folders_in_a_name_are_dropped(invoice, given, kept):
    assert names_sent(send_with(invoice, (given, plain_pdf()))) == [kept]


def test_a_direction_override_is_refused_and_the_name_shown_without_it(invoice):
    [message] = problems_of(invoice, ("invoice\u202efdp.exe", plain_pdf()))
    assert message == (
        "The file name invoicefdp.exe holds an invisible character that changes the reading "
        "direction (U+202E), so it reads otherwise than it is: rename the file and attach it "
        "again."
    )


def test_a_control_character_in_a_name_is_refused(invoice):
    [message] = problems_of(invoice, ("offer\x07te.pdf", plain_pdf()))
    assert message == (
        "The file name offerte.pdf holds an invisible control character (U+0007): rename the "
        "file and attach it again."
    )


def test_an_encoded_line_break_in_a_name_is_refused(invoice):
    [message] = problems_of(invoice, ("=?utf-8?q?a=0D=0ABcc:_x@y.example?=.pdf", plain_pdf()))
    assert message.startswith("The file name a")
    assert "(U+000D)" in message


def test_a_file_without_a_name_gets_a_message_with_its_size(invoice):
    assert problems_of(invoice, ("", b"x" * 2048)) == [
        "A file of 2 KB has no name: give it a name and attach it again."
    ]


def test_a_program_hidden_before_the_last_extension_is_refused(invoice):
    assert problems_of(invoice, ("factuur.pdf.exe.pdf", plain_pdf())) == [
        "factuur.pdf.exe.pdf cannot be attached: .exe files can run programs or scripts."
    ]


def test_every_bad_name_is_listed_not_only_the_first(invoice):
    problems = problems_of(
        invoice,
        ("", b"x" * 2048),
        ("empty.pdf", b""),
        ("a\u202egpj.exe", plain_pdf()),
        ("fine.pdf", plain_pdf()),
    )
    assert len(problems) == 3
    assert problems[0].startswith("A file of 2 KB has no name")
    assert problems[1] == "empty.pdf is empty: choose the file again."
    assert "(U+202E)" in problems[2]

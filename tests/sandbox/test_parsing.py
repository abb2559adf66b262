from porto.sandbox import parsing
from tests.sandbox.helpers import PDF_BYTES, build_email


def test_summary_of_an_outbox_email():
    summary = parsing.summarize(build_email(company_id=7, email_id=99, subject="Offerte für café"))

    assert summary.subject == "Offerte für café"
    assert summary.to_header == "boekhouding@klant.example"
    assert (summary.company_id, summary.email_id) == (7, 99)
    assert summary.attachment_count == 1


def test_attachments_are_every_part_but_the_bodies_with_exact_bytes_and_names():
    xml = b"<?xml version='1.0'?><Invoice/>"
    raw = build_email(
        attachments=(
            ("Factuur 2026-00042 é.pdf", "application/pdf", PDF_BYTES),
            ("Invoice-2026-00042.xml", "application/xml", xml),
        )
    )

    found = parsing.attachments(parsing.parse(raw))

    assert [(a.index, a.filename, a.content_type, a.content) for a in found] == [
        (0, "Factuur 2026-00042 é.pdf", "application/pdf", PDF_BYTES),
        (1, "Invoice-2026-00042.xml", "application/xml", xml),
    ]


def test_company_and_email_headers_must_be_plain_positive_numbers():
    for value in ["", "abc", "-3", "0", "1 OR 1=1", "٣", "9" * 30]:
        assert parsing.positive_int(value) is None
    assert parsing.positive_int(" 12 ") == 12


def test_unsafe_filenames_become_plain_names():
    assert parsing.safe_filename("../../etc/passwd", 0, "text/plain") == "passwd"
    assert parsing.safe_filename("C:\\Users\\x\\evil.pdf", 0, "application/pdf") == "evil.pdf"
    assert parsing.safe_filename("a\r\nX-Evil: 1.pdf", 0, "application/pdf") == "aX-Evil: 1.pdf"
    assert parsing.safe_filename("", 2, "application/pdf") == "attachment-3.pdf"
    assert parsing.safe_filename("...", 0, "application/x-unknown-kind") == "attachment-1.bin"


def test_inline_images_are_shown_from_the_message_itself():
    raw = (
        b"Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\n"
        b'Content-Type: text/html\r\n\r\n<img src="cid:logo@acme"><img src="cid:missing">\r\n'
        b"--b\r\nContent-Type: image/png\r\nContent-ID: <logo@acme>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--b--\r\n"
    )
    message = parsing.parse(raw)
    html = parsing.text_of(parsing.body_part(message, "html"))

    shown = parsing.html_with_inline_images(html, parsing.attachments(message))

    assert '<img src="data:image/png;base64,iVBORw0K">' in shown
    assert '<img src="cid:missing">' in shown


def test_undecodable_headers_fall_back_to_their_raw_text():
    message = parsing.parse(b"Subject: =?utf-8?B?not-base64!?=\r\nDate: soon\r\n\r\nbody\r\n")

    assert "not-base64" in parsing.header(message, "Subject")
    assert parsing.parse_date(parsing.header(message, "Date")) is None
    assert parsing.text_of(parsing.body_part(message, "plain")) == "body\r\n"

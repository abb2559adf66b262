"""A send request is validated as a whole: queued completely, or refused listing every
problem with nothing written."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from porto.clients.models import ClientEmail
from porto.documents.models import DocumentKind
from porto.mail.checks import MAX_ATTACHMENT_BYTES
from porto.mail.models import Attachment, AttachmentBlob, OutgoingEmail, Recipient
from porto.mail.requests import NewAttachment, SendRequest, email_send
from porto.mail.tasks import wake_on_commit
from tests.factories import make_document, make_finalized
from tests.mail.conftest import small_pdf
from tests.pdfs import pdf_of_size
from tests.tasks import enqueued_tasks

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def refused(request: SendRequest) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        email_send(request)
    assert OutgoingEmail.objects.count() == 0
    assert Recipient.objects.count() == 0
    assert Attachment.objects.count() == 0
    return caught.value.messages


def test_a_valid_request_writes_rows_and_attachments_and_enqueues_nothing(
    invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = email_send(
            SendRequest(
                document=invoice,
                to=["compta@cafe-elysee.example"],
                attachments=[NewAttachment("photo.png", PNG)],
            )
        )
    assert email.state == OutgoingEmail.State.QUEUED
    assert [a.filename for a in email.attachments.all()][1:] == ["photo.png"]
    assert email.attachments.count() == 2
    assert callbacks == []
    assert enqueued_tasks() == []  # the caller wakes delivery, not the service


def test_the_caller_wakes_delivery_with_the_rows_in_one_transaction(
    invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
        wake_on_commit([email.pk])
    [task] = enqueued_tasks()
    assert task.task.module_path == "porto.mail.tasks.deliver_emails"
    assert task.args == [[email.pk]]


def test_nothing_is_queued_when_the_transaction_fails(invoice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("porto.mail.requests.store_attachments", broken)
    with pytest.raises(RuntimeError):
        email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert OutgoingEmail.objects.count() == Recipient.objects.count() == 0
    assert enqueued_tasks() == []


def test_every_problem_is_listed_at_once(invoice):
    messages = refused(
        SendRequest(
            document=invoice,
            to=["not-an-address"],
            cc=["x@y.example\r\nBcc: victim@example.com"],
            subject="Hello\r\nBcc: victim@example.com",
            body_text="Hi",
            body_html="<p>Hi</p><script>alert(1)</script>",
            attachments=[NewAttachment("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100)],
        )
    )
    assert len(messages) == 5, messages
    assert messages[0].startswith("not-an-address is not a valid email address")
    assert "contains a line break" in messages[1]
    assert messages[2] == (
        "The subject contains a line break or another control character: write it on one line."
    )
    assert "The HTML body contains <script>" in messages[3]
    assert messages[4] == (
        "invoice.pdf is a Windows program, which cannot be attached. Attach PDF, images, "
        "office documents, text or XML."
    )


def test_an_empty_recipient_list_is_refused(invoice):
    assert refused(SendRequest(document=invoice, to=[])) == ["Add at least one recipient in To."]


@pytest.mark.parametrize(
    "name",
    ["Jean\nDupré", "Jean\rDupré", "Jean\x00Dupré"],
)
def test_control_characters_in_a_display_name_are_refused(invoice, name):
    [message] = refused(SendRequest(document=invoice, to=[f"{name} <jean@cafe.example>"]))
    assert "contains a line break" in message


def test_a_sender_name_with_a_line_break_is_refused(invoice, company):
    company.name = "Acme\nBcc: x@example.com"
    company.save()
    messages = refused(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert any("sender name contains a line break" in m for m in messages)


def test_eleven_attachments_are_refused(invoice):
    files = [NewAttachment(f"photo{i}.png", PNG) for i in range(11)]
    assert refused(SendRequest(document=invoice, to=["a@b.example"], attachments=files)) == [
        "You added 11 attachments; an email can have at most 10."
    ]


def test_ten_attachments_are_fine(invoice):
    files = [NewAttachment(f"photo{i}.png", PNG) for i in range(10)]
    email = email_send(SendRequest(document=invoice, to=["a@b.example"], attachments=files))
    assert email.attachments.filter(is_document_file=False).count() == 10
    assert AttachmentBlob.objects.filter(sha256__in=email.attachments.values("blob")).count() == 2


def test_a_file_one_byte_over_5_mb_is_refused(invoice):
    over = pdf_of_size(MAX_ATTACHMENT_BYTES + 1)
    [message] = refused(
        SendRequest(
            document=invoice, to=["a@b.example"], attachments=[NewAttachment("big.pdf", over)]
        )
    )
    assert message == "big.pdf is 5.00 MB; an attachment can be at most 5 MB."
    exact = pdf_of_size(MAX_ATTACHMENT_BYTES)
    email_send(
        SendRequest(
            document=invoice, to=["a@b.example"], attachments=[NewAttachment("ok.pdf", exact)]
        )
    )


def test_five_files_of_5_mb_are_refused_with_the_size_the_email_would_have(invoice):
    five = pdf_of_size(MAX_ATTACHMENT_BYTES)
    files = [NewAttachment(f"part{i}.pdf", five) for i in range(5)]
    [message] = refused(SendRequest(document=invoice, to=["a@b.example"], attachments=files))
    assert message.startswith("With its attachments the email would be 34.2")
    assert message.endswith("MB; the limit is 25 MB. Send some files in a separate email.")


@pytest.mark.parametrize(
    "filename,content,expected",
    [
        ("invoice.pdf", b"\x7fELF\x02\x01", "invoice.pdf is a Linux program"),
        ("invoice.pdf", b"#!/bin/sh\nrm -rf /\n", "invoice.pdf is a script"),
        ("setup.exe", small_pdf(), "setup.exe cannot be attached: .exe files can run programs"),
        ("docs.zip", b"PK\x03\x04" + b"\x00" * 30, "docs.zip is a damaged ZIP archive"),
        ("notes.pdf", b"just some text", "notes.pdf is really a text file, not .pdf"),
        ("page.pdf", b"<html><script>x</script></html>", "page.pdf is an HTML page"),
        ("empty.pdf", b"", "empty.pdf is empty: choose the file again."),
    ],
)
def test_attachments_are_judged_by_their_content(invoice, filename, content, expected):
    [message] = refused(
        SendRequest(
            document=invoice, to=["a@b.example"], attachments=[NewAttachment(filename, content)]
        )
    )
    assert message.startswith(expected), message


def test_a_zip_that_is_not_an_office_document_is_refused(invoice, tmp_path):
    import zipfile

    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    [message] = refused(
        SendRequest(
            document=invoice,
            to=["a@b.example"],
            attachments=[NewAttachment("report.docx", path.read_bytes())],
        )
    )
    assert message.startswith("report.docx is a ZIP archive (archives can hide programs)")


def test_safe_html_is_kept_and_sanitised(invoice):
    email = email_send(
        SendRequest(
            document=invoice,
            to=["a@b.example"],
            body_text="Hello",
            body_html='<p style="x">Hello <a href="https://acme.example">site</a></p><b>x',
        )
    )
    assert email.body_html == (
        '<p>Hello <a href="https://acme.example" rel="noopener noreferrer">site</a></p><b>x</b>'
    )


def test_a_custom_plain_body_gets_an_escaped_html_twin(invoice):
    email = email_send(
        SendRequest(document=invoice, to=["a@b.example"], subject="Hi", body_text="1 < 2\n\nBye")
    )
    assert email.body_html == "<p>1 &lt; 2</p>\n\n<p>Bye</p>"


def test_a_draft_cannot_be_sent(company, client_fr):
    draft = make_document(company, client_fr)
    messages = refused(SendRequest(document=draft, to=["a@b.example"]))
    assert messages[0] == "Invoice is still a draft: finalize it before sending."


def test_ubl_for_a_quote_is_refused(company, client_fr):
    quote = make_finalized(company, client_fr, kind=DocumentKind.QUOTE)
    assert refused(SendRequest(document=quote, to=["a@b.example"], file_format="ubl")) == [
        "A quote cannot be sent as UBL: UBL (Peppol) exists only for invoices and credit notes. "
        "Choose PDF."
    ]


def test_an_unknown_format_is_refused(invoice):
    assert refused(SendRequest(document=invoice, to=["a@b.example"], file_format="docx")) == [
        "docx is not a file format: choose PDF, UBL or PDF+UBL."
    ]


def test_ubl_for_a_private_person_is_refused_with_the_reason(company):
    from tests.factories import make_client

    person = make_client(
        company, kind="person", vat_number="", kbo_number="", peppol_scheme="", peppol_id=""
    )
    document = make_finalized(company, person)
    messages = refused(SendRequest(document=document, to=["a@b.example"], file_format="ubl"))
    assert any("private person" in m for m in messages), messages


def test_a_new_address_can_be_saved_to_the_client(invoice, client_fr):
    email_send(
        SendRequest(
            document=invoice,
            to=["compta@cafe-elysee.example", "new@cafe-elysee.example"],
            save_new_addresses=True,
        )
    )
    addresses = set(
        ClientEmail.objects.filter(client=client_fr).values_list("address", "is_default")
    )
    assert addresses == {("compta@cafe-elysee.example", True), ("new@cafe-elysee.example", False)}


def test_the_same_address_twice_is_one_recipient(invoice):
    email = email_send(
        SendRequest(document=invoice, to=["a@b.example"], cc=["A@b.example"], bcc=["a@b.example"])
    )
    assert list(email.recipients.values_list("kind", "address")) == [("to", "a@b.example")]


def test_copy_to_self_adds_a_bcc(invoice, company):
    from porto.emailsettings.selectors import email_settings_for

    email_settings = email_settings_for(company)
    email_settings.copy_to_self = True
    email_settings.save()
    email = email_send(SendRequest(document=invoice, to=["a@b.example"]))
    assert list(email.recipients.values_list("kind", "address")) == [
        ("to", "a@b.example"),
        ("bcc", "office@acme.example"),
    ]


def test_own_smtp_without_a_server_is_refused(invoice, company):
    from porto.emailsettings.models import EmailSettings

    EmailSettings.objects.update_or_create(company=company, defaults={"method": "smtp"})
    messages = refused(SendRequest(document=invoice, to=["a@b.example"]))
    assert messages[0].startswith("Your email settings use Own mailbox (SMTP)")

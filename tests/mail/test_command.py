"""`manage.py send_document NUMBER --to ADDRESS [--format ...]`."""

import pytest
from django.core.management import CommandError, call_command

from porto.documents.models import DocumentKind
from porto.mail.models import OutgoingEmail
from tests.factories import make_client, make_finalized
from tests.tasks import enqueued_tasks


def test_the_command_queues_the_document(invoice, capsys):
    call_command("send_document", invoice.number, "--to", "compta@cafe-elysee.example")
    email = OutgoingEmail.objects.get()
    assert email.document == invoice
    assert email.file_format == "pdf"
    assert list(email.recipients.values_list("address", flat=True)) == [
        "compta@cafe-elysee.example"
    ]
    assert f"Queued email {email.pk}" in capsys.readouterr().out


def test_the_command_wakes_delivery_once_after_the_commit(
    invoice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("send_document", invoice.number, "--to", "compta@cafe-elysee.example")
    email = OutgoingEmail.objects.get()
    assert len(callbacks) == 1
    [task] = enqueued_tasks()
    assert task.args == [[email.pk]]


def test_the_command_lists_every_problem(company):
    quote = make_finalized(company, make_client(company), kind=DocumentKind.QUOTE)
    with pytest.raises(CommandError) as caught:
        call_command("send_document", quote.number, "--to", "bad", "--format", "ubl")
    message = str(caught.value)
    assert "bad is not a valid email address" in message
    assert "A quote cannot be sent as UBL" in message
    assert OutgoingEmail.objects.count() == 0


def test_an_unknown_number_is_explained(db):
    with pytest.raises(CommandError, match="No document has the number '2099-00001'"):
        call_command("send_document", "2099-00001", "--to", "a@b.example")

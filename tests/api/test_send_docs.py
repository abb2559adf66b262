"""The curl example of docs/api.md ("Sending and emails") runs as written against a live
server: a PDF+UBL send with an attachment, as multipart."""

import shlex
import subprocess

import pytest

from porto.api.services import token_create
from porto.mail.models import OutgoingEmail
from tests.api.test_docs_examples import curl_examples
from tests.api.test_send import media, no_einvoice_rules, no_worker
from tests.factories import make_client, make_finalized
from tests.web.conftest import prestore_pdf, small_pdf

__all__ = ["media", "no_einvoice_rules", "no_worker"]

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_send_example_sends_pdf_ubl_and_the_attachment(live_server, company, owner, tmp_path):
    [example] = [e for e in curl_examples() if "/send/" in e]
    client = make_client(company, language="nl", emails=("boekhouding@hetanker.example",))
    invoice = make_finalized(company, client)
    prestore_pdf(invoice)
    (tmp_path / "werfplan.pdf").write_bytes(small_pdf("Werfplan"))
    command = example.replace("https://porto.example", live_server.url)
    command = command.replace("/documents/42/", f"/documents/{invoice.pk}/")
    command = command.replace("$PORTO_TOKEN", token_create(company, owner, "Docs").secret)
    arguments = [*shlex.split(command), "--silent", "--show-error", "--fail-with-body"]

    result = subprocess.run(
        arguments, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    email = OutgoingEmail.objects.get()
    assert email.file_format == "pdf+ubl"
    assert [r.address for r in email.recipients.all()] == ["boekhouding@hetanker.example"]
    assert [a.filename for a in email.attachments.filter(is_document_file=False)] == [
        "werfplan.pdf"
    ]

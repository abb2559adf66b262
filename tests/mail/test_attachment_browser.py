"""The send pop-up in Chromium counts the email as it travels, as the server does: files that
fit in 25 MB of bytes but not once encoded are refused before anything is posted, with the
size the email would have; and a quoted name with a comma in Cc counts as one recipient."""

import json

import pytest
from django.urls import reverse

from porto.mail.models import OutgoingEmail
from porto.mail.send.limits import MAX_TOTAL_BYTES, human_size, message_size
from tests.factories import make_client, make_finalized
from tests.mail.conftest import prestore_pdf
from tests.web.browser.test_send_limits import signed_in

pytestmark = pytest.mark.django_db(transaction=True)
TO = "compta@cafe-elysee.example"
MIB = 1024 * 1024


@pytest.fixture
def invoice(company):
    client = make_client(company, language="en", name="Café Élysée SPRL", emails=(TO,))
    document = make_finalized(company, client)
    prestore_pdf(document)
    return document


def open_send(page, live_server, owner, document):
    signed_in(page, live_server, owner)
    page.goto(live_server.url + reverse("document", args=[document.pk]))
    page.locator("#send-open").click()
    dialog = page.locator("#send-dialog")
    dialog.wait_for()
    return dialog


def test_files_over_the_limit_once_encoded_are_refused_in_the_browser_with_that_size(
    page, live_server, owner, invoice, tmp_path
):
    dialog = open_send(page, live_server, owner, invoice)
    sizes = [int(4.8 * MIB)] * 4  # 19.2 MB of bytes, under 25 MB; over it in base64
    assert sum(sizes) < MAX_TOTAL_BYTES
    paths = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"part{i}.pdf"
        path.write_bytes(b"%PDF-1.7\n" + b"0" * (size - 9))
        paths.append(str(path))
    dialog.locator("#id_attachments").set_input_files(paths)
    body = dialog.locator("#id_body").input_value()
    dialog.locator("#send-submit").click()

    shown = dialog.locator('[data-errors-for="attachments"]').inner_text()
    expected = message_size(sizes, len(body.encode()), len(body.encode()))
    assert shown.startswith("With its attachments the email would be ")
    assert human_size(expected)[:4] in shown  # the same size to 0.1 MB as the server counts
    assert shown.endswith("the limit is 25 MB. Send some files in a separate email.")
    assert not OutgoingEmail.objects.exists()


def test_a_quoted_name_with_a_comma_counts_as_one_recipient(page, live_server, owner, invoice):
    dialog = open_send(page, live_server, owner, invoice)
    limits = json.loads(page.locator("#send-limits").text_content())
    others = [f"copie{i}@cafe-elysee.example" for i in range(limits["max_recipients"] - 2)]
    dialog.locator("#cc-toggle").click()
    dialog.locator("#id_cc").fill(", ".join(['"Doe, John" <john@example.com>', *others]))
    dialog.locator("#send-submit").click()

    dialog.wait_for(state="hidden")  # closed once the server accepted the email
    sent = OutgoingEmail.objects.get()
    assert sent.recipients.count() == limits["max_recipients"]  # one To, 49 Cc
    assert sent.recipients.filter(name="Doe, John", address="john@example.com").exists()

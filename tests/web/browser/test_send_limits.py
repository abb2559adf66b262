"""The send pop-up checks in the browser with the server's own limits and messages: it reads
them from the page (#send-limits), and an input one over a limit shows, in the page's
language, exactly what ``send_problems`` says for it, before anything is posted."""

import json

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation

from porto.mail.models import OutgoingEmail
from porto.mail.requests import SendRequest
from porto.mail.send.problems import send_problems
from tests.factories import make_client, make_finalized
from tests.mail.conftest import prestore_pdf

pytestmark = pytest.mark.django_db(transaction=True)
TO = "compta@cafe-elysee.example"
BODY = "Bonjour,\n\nVeuillez trouver la facture en annexe."


@pytest.fixture
def invoice(company):
    client = make_client(company, language="fr", name="Café Élysée SPRL", emails=(TO,))
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


def signed_in(page, live_server, owner) -> None:
    """The owner's session in the browser, whatever language the login page speaks."""
    http = HttpClient()
    http.force_login(owner)
    session = {"name": "sessionid", "value": http.cookies["sessionid"].value}
    page.context.add_cookies([session | {"url": live_server.url}])


@pytest.fixture(params=["en-GB", "fr-BE"])
def localized_page(request, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=request.param)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page, request.param[:2]
    context.close()


def test_a_subject_one_over_the_limit_or_empty_shows_the_servers_message(
    localized_page, live_server, owner, invoice
):
    page, language = localized_page
    dialog = open_send(page, live_server, owner, invoice)
    limits = json.loads(page.locator("#send-limits").text_content())
    dialog.locator("#id_body").fill(BODY)
    for subject in ("x" * (limits["max_subject_chars"] + 1), ""):
        dialog.locator("#id_subject").fill(subject)
        dialog.locator("#send-submit").click()

        shown = dialog.locator('[data-errors-for="subject"]').inner_text()
        request = SendRequest(document=invoice, to=[TO], subject=subject, body_text=BODY)
        with translation.override(language):
            expected = send_problems(request)
        assert shown == " ".join(expected["subject"])
        assert dialog.is_visible()
    if language == "fr":
        assert shown == "Donnez un objet à l'e-mail."  # the page's language, not English
    assert not OutgoingEmail.objects.exists()  # refused before posting


def test_one_recipient_over_the_limit_shows_the_servers_message(page, live_server, owner, invoice):
    dialog = open_send(page, live_server, owner, invoice)
    limits = json.loads(page.locator("#send-limits").text_content())
    cc = [f"copie{i}@cafe-elysee.example" for i in range(limits["max_recipients"])]
    dialog.locator("#cc-toggle").click()
    dialog.locator("#id_cc").fill(", ".join(cc))
    dialog.locator("#send-submit").click()

    shown = dialog.locator('[data-errors-for="to"]').inner_text()
    request = SendRequest(document=invoice, to=[TO], cc=cc)
    assert shown == " ".join(send_problems(request)["to"])
    assert not OutgoingEmail.objects.exists()

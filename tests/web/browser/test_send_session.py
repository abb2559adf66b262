"""The send pop-up in a real Chromium: Enter in a one-line field never sends, and an expired
session keeps what was typed and attached until the user has logged in again and presses Send."""

import string

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext

from porto.mail.models import OutgoingEmail
from tests.factories import make_client, make_finalized
from tests.mail.conftest import prestore_pdf
from tests.pdfs import plain_pdf
from tests.web.browser.test_send_limits import signed_in

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "s3cret-pass!"  # what tests.factories.make_user gives every user
TO = "boekhouding@bakkerij-peeters.example"
SESSION_EXPIRED = (
    "Your session expired: log in again in another tab, then press Send again. "
    "What you typed is kept."
)


@pytest.fixture
def invoice(company):
    client = make_client(company, language="nl", name="Bakkerij Peeters BV", emails=(TO,))
    document = make_finalized(company, client)
    prestore_pdf(document)
    return document


def open_send(page, live_server, document):
    page.goto(live_server.url + reverse("document", args=[document.pk]))
    page.locator("#send-open").click()
    dialog = page.locator("#send-dialog")
    dialog.wait_for()
    return dialog


def count_submits(page) -> None:
    page.evaluate(
        """() => { window.sendSubmits = 0;
        document.getElementById("send-form").addEventListener(
          "submit", () => { window.sendSubmits += 1; }, true); }"""
    )


def submits(page) -> int:
    return page.evaluate("window.sendSubmits")


def test_enter_in_one_line_fields_never_sends_and_ctrl_enter_does(
    page, live_server, owner, invoice
):
    signed_in(page, live_server, owner)
    dialog = open_send(page, live_server, invoice)
    count_submits(page)
    dialog.locator("#cc-toggle").click()
    for field, text in [
        ("#id_subject", "Factuur van november"),
        ("#id_cc", "zaakvoerder@bakkerij-peeters.example"),
        ("#id_bcc", "archief@acme.example"),
        ("#id_save_to_client", None),
    ]:
        if text is not None:
            dialog.locator(field).fill(text)
        dialog.locator(field).press("Enter")
        assert submits(page) == 0, field
    dialog.locator("#new-address").fill("financien@bakkerij-peeters.example")
    dialog.locator("#new-address").press("Enter")

    assert submits(page) == 0
    assert dialog.is_visible()
    chips = dialog.locator("#to-chips input").evaluate_all("inputs => inputs.map(i => i.value)")
    assert chips == [TO, "financien@bakkerij-peeters.example"]  # Enter added the chip
    assert not OutgoingEmail.objects.exists()

    with page.expect_navigation():
        dialog.locator("#id_body").press("Control+Enter")
    email = OutgoingEmail.objects.get()
    assert email.subject == "Factuur van november"
    assert sorted(email.recipients.values_list("address", flat=True)) == [
        "archief@acme.example",
        "boekhouding@bakkerij-peeters.example",
        "financien@bakkerij-peeters.example",
        "zaakvoerder@bakkerij-peeters.example",
    ]


def session_row_deleted_and_csrf_rotated(page, live_server) -> None:
    """What the server sees when the session ran out and a new login happened elsewhere."""
    Session.objects.all().delete()
    token = get_random_string(32, string.ascii_letters + string.digits)
    page.context.add_cookies([{"name": "csrftoken", "value": token, "url": live_server.url}])


def cookies_cleared(page, live_server) -> None:
    """The browser dropped both cookies: the CSRF check refuses the post (403)."""
    page.context.clear_cookies()


@pytest.mark.parametrize("expire", [session_row_deleted_and_csrf_rotated, cookies_cleared])
def test_an_expired_session_keeps_the_draft_and_send_works_after_logging_in_again(
    page, live_server, owner, invoice, tmp_path, expire
):
    log_in(page, live_server, owner.username)
    dialog = open_send(page, live_server, invoice)
    dialog.locator("#id_subject").fill("Factuur en leveringsbon")
    dialog.locator("#id_body").fill("Beste,\n\nIn bijlage de factuur en de leveringsbon.")
    delivery_note = tmp_path / "leveringsbon-november.pdf"
    delivery_note.write_bytes(plain_pdf())  # a real PDF: the server parses every one
    dialog.locator("#id_attachments").set_input_files(str(delivery_note))
    expire(page, live_server)

    dialog.locator("#send-submit").click()

    errors = dialog.locator('[data-errors-for="__all__"]')
    errors.filter(has_text=SESSION_EXPIRED).wait_for()
    assert errors.inner_text() == SESSION_EXPIRED
    assert dialog.is_visible()
    assert dialog.locator("#id_subject").input_value() == "Factuur en leveringsbon"
    assert dialog.locator("#file-list").inner_text().startswith("leveringsbon-november.pdf")
    assert not OutgoingEmail.objects.exists()

    with page.expect_popup() as opened:
        dialog.get_by_role("link", name="Log in again (opens in a new tab)").click()
    log_in_tab = opened.value
    fill_login(log_in_tab, live_server, owner.username)
    log_in_tab.close()
    with page.expect_navigation():
        dialog.locator("#send-submit").click()

    email = OutgoingEmail.objects.get()
    assert email.subject == "Factuur en leveringsbon"
    extra = email.attachments.filter(is_document_file=False).get()
    assert extra.filename == "leveringsbon-november.pdf"
    assert bytes(extra.blob.content) == delivery_note.read_bytes()


def test_the_session_expired_message_is_in_the_page_language(browser, live_server, owner, invoice):
    context = browser.new_context(locale="fr-BE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        signed_in(page, live_server, owner)
        dialog = open_send(page, live_server, invoice)
        dialog.locator("#id_subject").fill("Facture de novembre")
        cookies_cleared(page, live_server)

        dialog.locator("#send-submit").click()

        with translation.override("fr"):
            expected = gettext(SESSION_EXPIRED)
        assert expected != SESSION_EXPIRED
        errors = dialog.locator('[data-errors-for="__all__"]')
        errors.filter(has_text=expected).wait_for()
        assert errors.inner_text() == expected
        assert dialog.locator("#id_subject").input_value() == "Facture de novembre"
    finally:
        context.close()


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('login')}")
    fill_login(page, live_server, username)


def fill_login(page, live_server, username: str) -> None:
    """Whatever language the login page speaks."""
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("section.login button[type=submit]").click()
    page.locator("section.login").wait_for(state="detached")

"""The send pop-up and the bulk send in a real Chromium against the live app, the real
sandbox SMTP server (in-process, on a free port) and the worker run by the test."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from porto.clients.models import ClientEmail
from porto.emailtexts.services import email_text_for
from porto.mail.models import OutgoingEmail
from porto.sandbox.models import SandboxMessage
from porto.sandbox.parsing import attachments, parse
from tests.browser_support import log_in
from tests.factories import make_client, make_document, make_finalized
from tests.web.conftest import prestore_pdf, small_pdf
from tests.web.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "s3cret-pass!"


@pytest.fixture
def signed_in(page, live_server, owner):
    log_in(page, live_server, owner.username, PASSWORD)
    page.get_by_role("heading", name="Documents").wait_for()
    return page


def open_send(page, live_server, document):
    page.goto(live_server.url + reverse("document", args=[document.pk]))
    page.locator("#send-open").click()
    dialog = page.locator("#send-dialog")
    dialog.wait_for()
    return dialog


def test_send_an_invoice_to_a_new_address_saved_to_the_client(
    signed_in, live_server, sandbox, invoice, screenshot
):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    chips = dialog.locator("#to-chips li")
    assert chips.all_inner_texts()[0].startswith("compta@cafe-elysee.example")
    screenshot(page, "send-popup")
    chips.first.get_by_role("button").click()
    dialog.get_by_label("Add a new address").fill("factures@cafe-elysee.example")
    dialog.get_by_role("button", name="Add address").click()
    dialog.get_by_label("Save new addresses to the client").check()
    dialog.get_by_label("Subject").fill("Votre facture de mars")
    dialog.get_by_text("Preview").click()
    preview = dialog.locator("#send-preview")
    assert "factures@cafe-elysee.example" in preview.inner_text()
    assert "Votre facture de mars" in preview.inner_text()
    assert "Veuillez trouver ci-joint" in preview.inner_text()
    dialog.get_by_role("button", name="Send", exact=True).click()

    page.locator("#mail-timeline .mail-timeline__head .status-badge").first.wait_for()
    assert not page.locator("#send-dialog").is_visible()
    assert (
        page.locator("#mail-timeline .mail-timeline__head .status-badge").first.inner_text()
        == "In transit"
    )
    assert "Votre facture de mars" in page.locator("#mail-timeline").inner_text()
    assert ClientEmail.objects.filter(
        client=invoice.client, address="factures@cafe-elysee.example"
    ).exists()

    assert set(run_worker().values()) == {"sent"}
    [message] = SandboxMessage.objects.all()
    assert message.subject == "Votre facture de mars"
    assert message.envelope_recipients == ["factures@cafe-elysee.example"]
    page.reload()
    assert (
        page.locator("#mail-timeline .mail-timeline__head .status-badge").first.inner_text()
        == "Delivered"
    )


def test_double_click_sends_once(signed_in, live_server, sandbox, invoice):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    dialog.get_by_role("button", name="Send", exact=True).dblclick()
    page.locator("#mail-timeline .mail-timeline__head .status-badge").first.wait_for()
    assert OutgoingEmail.objects.filter(document=invoice).count() == 1


def test_switching_the_email_text_changes_the_language(signed_in, live_server, sandbox, invoice):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    body = dialog.get_by_label("Message")
    assert "Veuillez trouver ci-joint la facture" in body.input_value()
    dutch = email_text_for(invoice.company, "invoice", "nl")

    # Something typed: the user is asked first, and "no" keeps it.
    dialog.get_by_label("Subject").fill("Mon sujet")
    page.once("dialog", lambda d: d.dismiss())
    dialog.get_by_label("Email text").select_option(str(dutch.pk))
    assert dialog.get_by_label("Subject").input_value() == "Mon sujet"

    page.once("dialog", lambda d: d.accept())
    dialog.get_by_label("Email text").select_option(str(dutch.pk))
    expect(page.locator("#id_body")).to_have_value(re.compile("In bijlage"))
    assert dialog.get_by_label("Subject").input_value().startswith(f"Factuur {invoice.number}")


def test_too_many_and_too_large_attachments_are_refused_in_the_browser(
    signed_in, live_server, sandbox, invoice, tmp_path
):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    files = []
    for i in range(11):
        path = tmp_path / f"annexe-{i}.pdf"
        path.write_bytes(small_pdf(str(i)))
        files.append(str(path))
    dialog.locator("#id_attachments").set_input_files(files)
    error = dialog.locator('[data-errors-for="attachments"]')
    assert "You added 11 attachments; an email can have at most 10." in error.inner_text()
    dialog.get_by_role("button", name="Send", exact=True).click()
    assert dialog.is_visible()

    for _ in range(11):
        dialog.locator("#file-list button").first.click()
    big = tmp_path / "plan.pdf"
    big.write_bytes(small_pdf() + b"\0" * (6 * 1024 * 1024))
    dialog.locator("#id_attachments").set_input_files(str(big))
    assert "plan.pdf is 6.00 MB; an attachment can be at most 5 MB." in error.inner_text()
    dialog.get_by_role("button", name="Send", exact=True).click()
    assert dialog.is_visible()
    assert not OutgoingEmail.objects.exists()


def test_pdf_and_ubl_arrive_in_the_sandbox_inbox(signed_in, live_server, sandbox, invoice):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    dialog.get_by_label("PDF + UBL").check()
    page.wait_for_load_state("networkidle")
    assert dialog.locator('[data-errors-for="file_format"]').inner_text() == ""
    dialog.get_by_role("button", name="Send", exact=True).click()
    page.locator("#mail-timeline .mail-timeline__head .status-badge").first.wait_for()
    run_worker()
    [message] = SandboxMessage.objects.all()
    names = [a.filename for a in attachments(parse(bytes(message.raw)))]
    assert [n.rsplit(".", 1)[1] for n in names] == ["pdf", "xml"]
    assert all(invoice.number in n for n in names)


def test_a_server_error_keeps_what_was_typed(signed_in, live_server, sandbox, invoice):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    dialog.get_by_role("button", name="Cc / Bcc").click()
    dialog.get_by_label("Cc", exact=True).fill("comptable@")
    dialog.get_by_label("Subject").fill("Gardé tel quel")
    dialog.get_by_role("button", name="Send", exact=True).click()
    error = dialog.locator('[data-errors-for="cc"]')
    error.wait_for()
    assert "comptable@" in error.inner_text()
    assert dialog.get_by_label("Subject").input_value() == "Gardé tel quel"
    assert dialog.get_by_role("button", name="Send", exact=True).is_enabled()
    assert not OutgoingEmail.objects.exists()


def test_keyboard_escape_closes_and_focus_returns(signed_in, live_server, invoice):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    for _ in range(40):  # tabbing never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.getElementById('send-dialog').contains(document.activeElement)"
        )
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.id") == "send-open"


@pytest.fixture
def ten(company):
    """8 documents that can go, 1 to an address the sandbox refuses, 1 draft."""
    documents = []
    for i in range(8):
        client = make_client(
            company, name=f"Klant {i} BV", emails=(f"boekhouding{i}@klant.example",)
        )
        documents.append(make_finalized(company, client))
    refusing = make_client(company, name="Verdwenen NV", emails=("niemand@verdwenen.invalid",))
    documents.append(make_finalized(company, refusing))
    for document in documents:
        prestore_pdf(document)
    documents.append(make_document(company, refusing))
    return documents


def test_bulk_send_ten_documents(signed_in, live_server, sandbox, ten, screenshot):
    page = signed_in
    page.goto(live_server.url + reverse("documents"))
    page.get_by_label("Select all on this page").check()
    screenshot(page, "documents-overview-selected")
    page.get_by_role("button", name="Send selected").click()
    assert "9 documents will be sent" in page.locator("#bulk-summary-count").inner_text()
    assert "niemand@verdwenen.invalid" in page.content()
    assert "still a draft" in page.content()
    screenshot(page, "bulk-summary")
    page.get_by_role("button", name="Send now").click()
    page.get_by_role("link", name="see progress").click()  # in the overview's banner
    page.locator("#bulk-progress").wait_for()

    run_worker()
    page.locator("#bulk-done").wait_for()
    counts = page.locator("#bulk-counts")
    assert counts.locator('[data-count="sent"]').inner_text() == "8"
    assert counts.locator('[data-count="failed"]').inner_text() == "1"
    assert counts.locator('[data-count="skipped"]').inner_text() == "1"
    failed = page.locator("#bulk-results tr.failed")
    assert "does not exist" in failed.inner_text()
    assert page.locator("#bulk-results tr.sent").count() == 8
    assert "still a draft" in page.locator("#bulk-results tr.skipped").inner_text()
    assert page.locator("#bulk-progress").evaluate("p => p.value === p.max")
    screenshot(page, "bulk-result")
    assert SandboxMessage.objects.count() == 8


def choose_language(page, name: str) -> None:
    with page.expect_navigation():
        page.locator("#language").select_option(label=name)


def test_the_send_flow_in_dutch(signed_in, live_server, sandbox, invoice):
    page = signed_in
    choose_language(page, "Nederlands")
    page.goto(live_server.url + reverse("document", args=[invoice.pk]))
    assert page.locator("html").get_attribute("lang") == "nl"
    # Amounts per language: a decimal comma.
    assert "363,00\u00a0€" in page.locator("table.totals").inner_text()
    page.get_by_role("button", name="Versturen").click()
    dialog = page.locator("#send-dialog")
    dialog.get_by_label("Onderwerp").fill("Uw factuur")
    dialog.get_by_label("Bericht").fill("Beste klant,\n\nHierbij uw factuur.")
    dialog.get_by_role("button", name="Versturen", exact=True).click()
    badge = page.locator("#mail-timeline .mail-timeline__head .status-badge").first
    badge.wait_for()
    assert badge.inner_text() == "In verzending"
    run_worker()
    page.reload()
    assert (
        page.locator("#mail-timeline .mail-timeline__head .status-badge").first.inner_text()
        == "Afgeleverd"
    )
    assert SandboxMessage.objects.get().subject == "Uw factuur"


def test_the_bulk_flow_in_french(signed_in, live_server, sandbox, company, client_fr):
    page = signed_in
    documents = [make_finalized(company, client_fr) for _ in range(2)]
    for document in documents:
        prestore_pdf(document)
    choose_language(page, "Français")
    page.goto(live_server.url + reverse("documents"))
    page.get_by_label("Tout sélectionner sur cette page").check()
    page.get_by_role("button", name="Envoyer la sélection").click()
    assert "2 documents seront envoyés" in page.locator("#bulk-summary-count").inner_text()
    page.get_by_role("button", name="Envoyer maintenant").click()
    page.locator(".messages a").click()  # the banner's link to the progress
    page.locator("#bulk-progress").wait_for()
    run_worker()
    page.get_by_role("heading", name="Terminé").wait_for()
    assert page.locator('[data-count="sent"]').inner_text() == "2"
    assert page.locator("#bulk-results tr.sent").first.inner_text().count("Envoyé") == 1
    page.goto(live_server.url + reverse("documents"))
    assert page.locator("td .badge").first.inner_text() == "Distribué"


def test_usable_at_320_pixels(signed_in, live_server, invoice, screenshot):
    page = signed_in
    page.set_viewport_size({"width": 320, "height": 640})
    no_overflow = "document.documentElement.scrollWidth <= window.innerWidth"
    page.goto(live_server.url + reverse("document", args=[invoice.pk]))
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => !e.closest('.table-wrap'))"
        ".filter(e => e.getBoundingClientRect().right > 321)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"
    )
    assert page.evaluate(no_overflow), wide
    page.locator("#send-open").click()
    dialog = page.locator("#send-dialog")
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
    dialog.get_by_role("button", name="Send", exact=True).scroll_into_view_if_needed()
    assert dialog.get_by_role("button", name="Send", exact=True).is_visible()
    screenshot(page, "send-popup-320px")


def test_the_timeline_shows_every_status(signed_in, live_server, company, client_fr, screenshot):
    from django.utils import timezone

    from porto.mail.requests import SendRequest, email_send

    page = signed_in
    document = make_finalized(company, client_fr)
    prestore_pdf(document)
    now = timezone.now()
    old = now - timezone.timedelta(days=40)
    facts = {
        "unknown": {"accepted_at": old},
        "in_transit": {"accepted_at": now},
        "delivered": {"accepted_at": now, "delivered_at": now},
        "failed": {"failed_at": now, "failure_reason": "The mailbox does not exist (550 5.1.1)"},
        "read": {"accepted_at": now, "delivered_at": now, "human_open_at": now},
    }
    for name, values in facts.items():
        email = email_send(SendRequest(document=document, to=[f"{name}@klant.example"]))
        handed = old if name == "unknown" else now
        OutgoingEmail.objects.filter(pk=email.pk).update(handed_off_at=handed, track_opens=True)
        email.recipients.update(**values)
    page.goto(live_server.url + reverse("document", args=[document.pk]))
    badges = page.locator("#mail-timeline .mail-timeline__head .status-badge").all_inner_texts()
    assert sorted(badges) == sorted(["Unknown", "In transit", "Delivered", "Failed", "Read"])
    failed = page.locator("#mail-timeline .mail-timeline__head .status-badge--failed")
    failed.focus()  # details on keyboard focus too, not only on hover
    tip = page.locator("#" + failed.get_attribute("aria-describedby"))
    tip.wait_for(state="visible")
    assert "The mailbox does not exist (550 5.1.1)" in tip.inner_text()
    screenshot(page, "document-timeline")


def test_an_expired_session_keeps_the_draft(signed_in, live_server, invoice):
    page = signed_in
    dialog = open_send(page, live_server, invoice)
    dialog.get_by_label("Subject").fill("Ne pas perdre ceci")
    page.context.clear_cookies()
    page.evaluate(
        "document.cookie = 'csrftoken=' + document.querySelector('[name=csrfmiddlewaretoken]').value"
    )
    dialog.get_by_role("button", name="Send", exact=True).click()
    error = dialog.locator('[data-errors-for="__all__"]')
    error.wait_for()
    assert "Your session expired" in error.inner_text()
    assert dialog.get_by_label("Subject").input_value() == "Ne pas perdre ceci"
    assert not OutgoingEmail.objects.exists()


def test_overview_actions_send_opens_the_pop_up(signed_in, live_server, invoice):
    page = signed_in
    page.goto(live_server.url + reverse("documents"))
    page.get_by_text("Actions", exact=True).last.click()
    page.get_by_role("link", name="Send", exact=True).click()
    dialog = page.locator("#send-dialog")
    dialog.wait_for()
    assert dialog.get_by_label("Subject").input_value().startswith(f"Facture {invoice.number}")

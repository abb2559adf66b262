"""Keyboard and screen-reader use in a real browser: the skip link, the bulk progress that
announces its start and its end once each, text in another language marked with ``lang``,
and the close/remove buttons (a multiplication sign) named after what they close or remove."""

import pytest
from django.urls import reverse

from porto.mail.requests import bulk_send
from tests.browser_support import log_in
from tests.factories import make_client, make_company, make_email, make_finalized, make_user
from tests.mail.conftest import prestore_pdf
from tests.web.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "s3cret-pass!"
CROSS = "\N{MULTIPLICATION SIGN}"  # what the close and remove buttons show


@pytest.fixture
def company():
    return make_company("Acme BV")


@pytest.fixture
def signed_in(page, live_server, company):
    make_user(company, username="anna")
    log_in(page, live_server, "anna", PASSWORD)
    page.get_by_role("heading", name="Documents").wait_for()
    return page


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(
    signed_in, live_server, company
):
    make_client(company, name="Bakkerij Peeters BV")
    page = signed_in
    page.goto(live_server.url + reverse("clients"))
    skip = page.locator("a.skip-link")
    assert not skip.is_visible() or skip.bounding_box()["y"] < 0
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.inner_text() == "Skip to content"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10, "visible on focus"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    page.keyboard.press("Tab")  # the first control of the content: the list's own action
    assert page.evaluate("document.activeElement.textContent") == "New client"


def test_bulk_progress_announces_the_start_and_the_end_once_each(
    signed_in, live_server, sandbox, company
):
    documents = []
    for n, address in enumerate(("boekhouding@bakkerij.example", "niemand@weg.invalid")):
        client = make_client(company, name=f"Klant {n} BV", emails=(address,))
        documents.append(make_finalized(company, client))
        prestore_pdf(documents[-1])
    job = bulk_send(company, [d.pk for d in documents])
    page = signed_in
    page.goto(live_server.url + reverse("bulk_job", args=[job.pk]))
    announce = page.locator("#bulk-announce")
    announce.locator("p").first.wait_for(state="attached")
    page.evaluate(
        """() => { window.announced = 0;
        new MutationObserver(m => { window.announced += m.length; })
          .observe(document.getElementById('bulk-announce'), {childList: true, subtree: true,
                   characterData: true}); }"""
    )
    page.wait_for_timeout(2500)  # two polls with counts that do not move
    assert page.evaluate("window.announced") == 0
    assert announce.locator("p").all_inner_texts() == ["Sending 2 documents."]

    run_worker()
    page.locator("#bulk-done").wait_for()
    page.wait_for_timeout(1500)
    assert announce.locator("p").all_text_contents() == [
        "Sending 2 documents.",
        "Done: 1 sent, 1 failed, 0 skipped.",
    ]
    assert announce.get_attribute("aria-live") == "polite"
    # The counts themselves change every second but are not a live region.
    live_counts = page.locator("[aria-live] [data-count], [role=status] [data-count]")
    assert live_counts.count() == 0
    assert page.locator("#bulk-counts").get_attribute("aria-live") is None


def test_language_names_are_marked_with_their_language(signed_in, live_server):
    page = signed_in
    options = page.locator("#language option")
    assert {o.get_attribute("value"): o.get_attribute("lang") for o in options.all()} == {
        "en": "en",
        "nl": "nl",
        "fr": "fr",
    }


def test_the_email_subject_on_the_timeline_is_marked_with_the_email_language(
    signed_in, live_server, company
):
    document = make_finalized(company, make_client(company, language="fr"))
    email = make_email(document, subject="Votre facture", language="fr")
    page = signed_in
    page.goto(live_server.url + reverse("document", args=[document.pk]))
    subject = page.locator(f"#email-{email.pk} .mail-timeline__subject")
    assert subject.inner_text() == "Votre facture"
    assert subject.get_attribute("lang") == "fr"


def test_the_x_buttons_say_what_they_close_or_remove(signed_in, live_server, company, tmp_path):
    document = make_finalized(company, make_client(company, emails=("boekhouding@klant.example",)))
    prestore_pdf(document)
    page = signed_in
    page.goto(live_server.url + reverse("document", args=[document.pk]))
    page.locator("#send-open").click()
    dialog = page.locator("#send-dialog")
    dialog.wait_for()
    assert dialog.get_by_role("button", name="Close the send window").inner_text() == CROSS
    chip = dialog.locator("#to-chips li").first.get_by_role("button")
    assert chip.get_attribute("aria-label") == "Remove boekhouding@klant.example"
    dialog.get_by_label("Add a new address").fill("factuur@klant.example")
    dialog.get_by_role("button", name="Add address").click()
    added = dialog.get_by_role("button", name="Remove factuur@klant.example")
    assert added.inner_text() == CROSS
    extra = tmp_path / "voorwaarden.pdf"
    extra.write_bytes(b"%PDF-1.4 terms")
    dialog.locator("input[type=file]").first.set_input_files(str(extra))
    removal = dialog.get_by_role("button", name="Remove voorwaarden.pdf")
    assert removal.inner_text() == CROSS
    for button in page.locator("button").all():
        if button.inner_text().strip() == CROSS:
            label = button.get_attribute("aria-label") or ""
            assert label.startswith(("Remove ", "Close the ")), label

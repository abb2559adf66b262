"""The timeline on the document page in a real browser: the badge's details show on keyboard
focus and on hover and close on Escape; Update status refused outside the window is a
disabled button with its reason; one click on Update status sends one request, keeps focus on
the same email and announces what happened; a status that changes is announced."""

import datetime

import pytest
from django.utils import timezone

from porto.mail.events import record_event
from porto.mail.status import Event, EventType
from tests.browser_support import log_in
from tests.factories import make_client, make_company, make_email, make_finalized, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def document():
    company = make_company("Acme BV")
    make_user(company, username="anna")
    return make_finalized(company, make_client(company))


def bounce(email, address, at):
    record_event(
        source="sandbox",
        event=Event(
            EventType.BOUNCED,
            at,
            reason="The recipient's server says the mailbox does not exist (550 5.1.1)",
            code="550 5.1.1",
        ),
        message_id=email.message_id,
        recipient=address,
    )


def deliver(email, address, at):
    record_event(
        source="sandbox",
        event=Event(EventType.DELIVERED, at),
        message_id=email.message_id,
        recipient=address,
    )


def open_document(page, live_server, document):
    log_in(page, live_server, "anna", "s3cret-pass!")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.locator("#mail-timeline").wait_for()


def test_details_on_focus_and_hover_and_closed_by_escape(live_server, page, screenshot, document):
    now = timezone.now()
    failed = make_email(
        document,
        handed_off_at=now - datetime.timedelta(hours=1),
        to=("gone@klant.invalid", "ok@klant.example"),
        attachments=(("invoice.pdf", b"%PDF-1.4 x"),),
    )
    bounce(failed, "gone@klant.invalid", now - datetime.timedelta(minutes=59))
    deliver(failed, "ok@klant.example", now - datetime.timedelta(minutes=59))
    old = make_email(document, handed_off_at=now - datetime.timedelta(days=26))

    open_document(page, live_server, document)
    tip = page.locator(f"#email-{failed.pk}-tip")
    badge = page.locator(f"#email-{failed.pk} button.status-badge")
    assert not tip.is_visible()
    badge.focus()
    assert tip.is_visible()
    assert "550 5.1.1" in tip.inner_text()
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('status-badge')")
    page.mouse.move(0, 0)
    page.locator("body").click(position={"x": 1, "y": 1})
    assert not tip.is_visible()
    badge.hover()
    assert tip.is_visible()
    screenshot(page, "timeline-details")
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    page.mouse.move(0, 0)
    badge.hover()
    assert tip.is_visible(), "leaving and coming back shows the details again"

    refused = page.locator(f"#email-{old.pk} button", has_text="Update status")
    assert refused.is_disabled()
    assert "can no longer be updated" in page.locator(f"#email-{old.pk}-why").inner_text()


def test_one_click_on_update_status_sends_one_request_and_keeps_focus(live_server, page, document):
    now = timezone.now()
    older = make_email(document, handed_off_at=now - datetime.timedelta(hours=2))
    email = make_email(document, handed_off_at=now - datetime.timedelta(hours=1))
    open_document(page, live_server, document)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "update-status" in r.url else None)

    assert page.locator("script[src*='timeline.js']").count() == 1
    button = page.locator(f"#email-{email.pk} .mail-timeline__refresh button")
    button.focus()
    page.keyboard.press("Enter")
    live = page.locator("#mail-timeline-live")
    live.filter(has_text="Porto is asking for the latest status").wait_for(state="attached")
    page.wait_for_timeout(500)  # a second request, if any, would have gone by now

    assert posts == [f"{live_server.url}/emails/{email.pk}/update-status/"]
    assert answers == [200]
    assert "already asking" not in page.locator(".mail-timeline__notice").inner_text()
    assert "already asking" not in live.inner_text()
    assert page.evaluate("document.activeElement.id") == f"email-{email.pk}"
    assert page.locator(f"#email-{older.pk} .mail-timeline__refresh button").is_enabled()


def test_a_status_that_changes_while_the_page_is_open_is_announced(
    settings, live_server, page, document
):
    settings.PORTO_TIMELINE_REFRESH_SECONDS = 1
    now = timezone.now()
    email = make_email(
        document, handed_off_at=now - datetime.timedelta(minutes=5), subject="Factuur 2026-00001"
    )
    open_document(page, live_server, document)
    badge = page.locator(f"#email-{email.pk} button.status-badge")
    assert badge.inner_text() == "In transit"
    badge.focus()

    deliver(email, "client@klant.example", now)

    page.locator("#mail-timeline-live", has_text="Factuur 2026-00001: Delivered").wait_for(
        state="attached"
    )
    assert page.locator(f"#email-{email.pk} button.status-badge").inner_text() == "Delivered"
    assert page.evaluate("document.activeElement.classList.contains('status-badge')")
    assert page.evaluate("document.activeElement.closest('li').id") == f"email-{email.pk}"

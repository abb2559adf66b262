"""The timeline partial in a real browser: the badge's details show on keyboard focus and on
hover, and Update status refused outside the window is a disabled button with its reason."""

import datetime

import pytest
from django.utils import timezone

from porto.mail.events import record_event
from porto.mail.status import Event, EventType
from tests.browser_support import log_in
from tests.factories import make_client, make_company, make_email, make_finalized, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_details_on_focus_and_hover(live_server, page, screenshot):
    company = make_company("Acme BV")
    make_user(company, username="anna")
    document = make_finalized(company, make_client(company))
    now = timezone.now()
    failed = make_email(
        document,
        handed_off_at=now - datetime.timedelta(hours=1),
        to=("gone@klant.invalid", "ok@klant.example"),
        attachments=(("invoice.pdf", b"%PDF-1.4 x"),),
    )
    record_event(
        source="sandbox",
        event=Event(
            EventType.BOUNCED,
            now - datetime.timedelta(minutes=59),
            reason="The recipient's server says the mailbox does not exist (550 5.1.1)",
            code="550 5.1.1",
        ),
        message_id=failed.message_id,
        recipient="gone@klant.invalid",
    )
    record_event(
        source="sandbox",
        event=Event(EventType.DELIVERED, now - datetime.timedelta(minutes=59)),
        message_id=failed.message_id,
        recipient="ok@klant.example",
    )
    old = make_email(document, handed_off_at=now - datetime.timedelta(days=26))

    log_in(page, live_server, "anna", "s3cret-pass!")
    page.goto(f"{live_server.url}/emails/documents/{document.pk}/timeline/")
    tip = page.locator(f"#email-{failed.pk}-tip")
    assert not tip.is_visible()
    page.locator(f"#email-{failed.pk} button.status-badge").focus()
    assert tip.is_visible()
    assert "550 5.1.1" in tip.inner_text()
    page.mouse.move(0, 0)
    page.locator("body").click(position={"x": 1, "y": 1})
    assert not tip.is_visible()
    page.locator(f"#email-{failed.pk} button.status-badge").hover()
    assert tip.is_visible()
    screenshot(page, "timeline-details")

    refused = page.locator(f"#email-{old.pk} button", has_text="Update status")
    assert refused.is_disabled()
    assert "can no longer be updated" in page.locator(f"#email-{old.pk}-why").inner_text()

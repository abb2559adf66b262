"""The overview badge's failure reason in a real Chromium: hidden until the badge is reached,
then shown on keyboard focus and announced as the badge's description."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from porto.mail.status import EventType
from tests.browser_support import log_in
from tests.factories import make_client, make_finalized
from tests.mail.status_helpers import email_queued, hand_off, record

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "s3cret-pass!"
REASON = "The recipient's server says the mailbox does not exist (550 5.1.1 No such user)"


def test_the_failure_reason_shows_when_the_badge_gets_keyboard_focus(
    page, live_server, company, owner
):
    document = make_finalized(company, make_client(company))
    at = timezone.now() - dt.timedelta(minutes=5)
    email = hand_off(email_queued(document, created_at=at), at)
    record(email, "r0@klant.example", EventType.BOUNCED, at, reason=REASON, code="550 5.1.1")
    log_in(page, live_server, owner.username, PASSWORD)
    page.goto(live_server.url + reverse("documents"))

    badge = page.get_by_role("button", name="Failed", exact=True)
    tip = page.get_by_role("tooltip")
    assert not tip.is_visible()
    badge.focus()
    assert page.evaluate("document.activeElement.textContent") == "Failed"
    tip.wait_for(state="visible")
    assert tip.inner_text() == REASON
    described_by = badge.get_attribute("aria-describedby")
    assert page.locator(f"#{described_by}").inner_text() == REASON

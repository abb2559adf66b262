"""The bulk page in a real browser while emails wait: it says what each group waits for,
redraws as it polls (under the page's CSP), and Retry now tries the deferred email."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.reasons import reason_stored
from tests.browser_support import log_in
from tests.factories import make_client, make_company, make_email, make_finalized, make_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "s3cret-pass!"
State = OutgoingEmail.State
Held = OutgoingEmail.Held


def later(minutes: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


@pytest.fixture
def waiting_job():
    """A bulk send of six: one deferred after a greylisting, two waiting for the sending limit,
    one held by a worker that stopped (its lease not renewed for minutes), one never tried."""
    company = make_company("Acme BV")
    make_user(company, username="anna")
    client = make_client(
        company, name="Bakkerij Peeters BV", emails=("boekhouding@peeters.example",)
    )
    document = make_finalized(company, client)
    job = BulkJob.objects.create(company=company, requested=6)

    def email(**fields):
        values = {"state": State.QUEUED, "handed_off_at": None, "finished_at": None}
        return make_email(document, bulk_job=job, **(values | fields))

    greylisted = reason_stored("try_later", server="451 4.7.1 Greylisted, please try again")
    emails = {
        "deferred": email(attempts=1, next_attempt_at=later(45), last_error=greylisted),
        "rate_1": email(held=Held.RATE, next_attempt_at=later(2)),
        "rate_2": email(held=Held.RATE, next_attempt_at=later(4)),
        "stalled": email(state=State.SENDING, attempts=1, lease_until=later(5)),
        "new": email(next_attempt_at=later(-1)),
    }
    make_email(document, bulk_job=job)  # one sent already
    return job, emails


def test_the_bulk_page_explains_what_waits_redraws_as_it_polls_and_retries_now(
    page, live_server, waiting_job, screenshot
):
    job, emails = waiting_job
    log_in(page, live_server, "anna", PASSWORD)
    page.goto(live_server.url + reverse("bulk_job", args=[job.pk]))
    waiting = page.locator("#bulk-waiting")
    expect(waiting.locator('[data-waiting="retrying"]')).to_contain_text(
        "Waiting for a retry after a delivery problem: 1 — Next try at"
    )
    expect(waiting.locator('[data-waiting="retrying"]')).to_contain_text("Greylisted")
    expect(waiting.locator('[data-waiting="rate"]')).to_contain_text(
        "Waiting for the sending limit: 2 — The last should go at about"
    )
    expect(waiting.locator('[data-waiting="stalled"]')).to_contain_text(
        "A worker stopped while sending these; they go out again by"
    )
    expect(waiting.locator('[data-waiting="queued"]')).to_contain_text("Queued, not started yet: 1")
    expect(page.locator('[data-count="queued"]')).to_have_text("5")
    screenshot(page, "bulk-waiting")

    # The limit lets the two go: the next poll redraws the groups and the counts.
    OutgoingEmail.objects.filter(pk__in=[emails["rate_1"].pk, emails["rate_2"].pk]).update(
        state=State.SENT, held=Held.NO, finished_at=timezone.now()
    )
    expect(waiting.locator('[data-waiting="rate"]')).to_have_count(0)
    expect(page.locator('[data-count="queued"]')).to_have_text("3")

    page.get_by_role("button", name="Retry now").click()
    expect(page.locator(".messages")).to_contain_text("Emails tried again now: 1.")
    expect(page.locator("#bulk-retry-now")).to_be_hidden()
    deferred = OutgoingEmail.objects.get(pk=emails["deferred"].pk)
    assert deferred.next_attempt_at <= timezone.now()
    assert OutgoingEmail.objects.get(pk=emails["new"].pk).state == State.QUEUED

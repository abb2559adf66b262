"""Read, as a person sees it: the client opens the email (here: in the sandbox's test inbox,
which shows it as a mail client would, images included) and the document page that is
already open shows Read without being reloaded."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from porto.emailsettings.selectors import email_settings_for
from porto.mail.models import Recipient
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from porto.sandbox.models import SandboxMessage
from tests.browser_support import log_in
from tests.tasks import run_queued_tasks
from tests.web.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

# A person's desktop browser (Chromium's headless user agent counts as a machine open).
DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def test_opening_the_email_makes_the_open_document_page_show_read(
    browser, live_server, settings, sandbox, owner, company, invoice
):
    settings.PORTO_BASE_URL = live_server.url
    settings.PORTO_TIMELINE_REFRESH_SECONDS = 1
    # Tasks in the database, so the ones the live server enqueues can be run from here.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    email_settings = email_settings_for(company)
    email_settings.track_opens = True
    email_settings.save()
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    run_worker()
    recipient = email.recipients.get()
    recipient.refresh_from_db()
    assert recipient.status(timezone.now()) == Status.DELIVERED
    # The client opens it a while after it arrived, not the instant a scanner would.
    Recipient.objects.filter(pk=recipient.pk).update(
        delivered_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    context = browser.new_context(user_agent=DESKTOP_CHROME)
    try:
        document_page = context.new_page()
        document_page.set_default_timeout(15_000)
        log_in(document_page, live_server, owner.username, "s3cret-pass!")
        document_page.goto(live_server.url + reverse("document", args=[invoice.pk]))
        badge = document_page.locator("#mail-timeline .mail-timeline__head .status-badge").first
        assert badge.inner_text() == "Delivered"

        inbox_page = context.new_page()
        message = SandboxMessage.objects.get()
        with inbox_page.expect_response(lambda r: "/t/" in r.url and r.status == 200):
            inbox_page.goto(live_server.url + reverse("sandbox:message", args=[message.pk]))
        assert run_queued_tasks() >= 1

        expect(
            document_page.locator("#mail-timeline .mail-timeline__head .status-badge").first
        ).to_have_text("Read")
    finally:
        context.close()
    recipient.refresh_from_db()
    assert recipient.human_open_at is not None
    assert recipient.status(timezone.now()) == Status.READ

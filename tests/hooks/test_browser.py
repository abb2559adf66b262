"""An owner adds an endpoint in a real browser, copies its secret, sends a test event and
reads its attempt in the log; a form refusal shows under the URL field."""

import pytest
from django.urls import reverse

from porto.hooks.models import WebhookEndpoint, WebhookMessage
from porto.hooks.services import message_deliver
from tests.factories import make_company, make_user
from tests.web.browser.test_no_english import log_in_as, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_adds_an_endpoint_sends_a_test_event_and_reads_the_log(
    browser, live_server, receiver
):
    company = make_company("Studio Lindeboom BV")
    make_user(company, username="lotte")
    context, page = new_page(browser, live_server, "en")
    try:
        page.goto(live_server.url + reverse("login"))
        log_in_as(page, live_server, "lotte")
        page.locator(f"nav a[href='{reverse('webhooks')}']").click()

        page.locator("#id_url").fill("ftp://hooks.example/porto")
        page.locator("input[name=event_types][value='email.delivered']").check()
        page.locator("form.settings-form button.primary").click()
        assert page.locator("#id_url_error").inner_text() == (
            "Enter a web address that starts with https://."
        )
        assert page.locator("input[name=event_types][value='email.delivered']").is_checked()

        page.locator("#id_url").fill(receiver.url)
        page.locator("form.settings-form button.primary").click()
        endpoint = WebhookEndpoint.objects.get(company=company)
        assert page.locator("#webhook-secret").inner_text() == endpoint.secret

        page.get_by_role("button", name="Send test event").click()
        page.locator(".messages").wait_for()
        message_deliver(WebhookMessage.objects.get(event_type="webhook.test").pk)
        page.reload()
        row = page.locator("table.webhook-attempts tbody tr").first
        assert "webhook.test" in row.inner_text() and "HTTP 204" in row.inner_text()
        assert len(receiver.received) == 1
    finally:
        context.close()

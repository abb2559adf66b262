"""An owner makes an API token in a real browser, copies it with the Copy button, and revokes
it after the confirmation page; the copied token opens the API until then."""

import pytest
import requests
from django.urls import reverse

from porto.api.models import ApiToken
from tests import browser_support
from tests.factories import make_company, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_creates_copies_and_revokes_a_token(page, live_server, screenshot):
    company = make_company("Studio Lindeboom BV")
    make_user(company, role="owner", username="lotte")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    browser_support.log_in(page, live_server, "lotte", "s3cret-pass!")

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Webshop")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#api-token-secret").input_value()
    assert shown.startswith("porto_")
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == shown
    screenshot(page, "api-token-created")

    api = f"{live_server.url}/api/v1/clients/"
    bearer = {"Authorization": f"Bearer {shown}"}
    assert requests.get(api, headers=bearer, timeout=10).status_code == 200

    page.goto(live_server.url + reverse("api_tokens"))
    assert page.locator("#api-token-secret").count() == 0, "the secret is shown once"
    page.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("The token Webshop is revoked").wait_for()
    assert ApiToken.objects.get().revoked_at is not None
    assert requests.get(api, headers=bearer, timeout=10).status_code == 401

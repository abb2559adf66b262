"""Provider webhooks, the real ingestion view, over every catalogue entry tried on it: with
valid credentials, a body too large, malformed, nested too deeply, not UTF-8 or XML (no
provider Porto supports posts XML: each posts JSON, Mailgun's legacy webhooks a form) is
refused with a 400 that says why, and nothing is stored or queued. A body announced over the
limit is refused before a byte of it is read."""

import pytest

from porto.mail.models import DeliveryEvent, InboundWebhook
from porto.mail.providers import PROVIDERS
from tests.hostile.catalogue import Refused, cases
from tests.hostile.streams import announced
from tests.mail.tracking_helpers import (
    content_type,
    make_live,
    post_webhook,
    provider_credentials,
)

pytestmark = pytest.mark.django_db

# The providers whose webhooks Porto reads; each is tried with every entry.
WEBHOOK_PROVIDERS = sorted(PROVIDERS)


@pytest.fixture(autouse=True)
def credentials(settings, monkeypatch):
    with provider_credentials(settings, monkeypatch):
        yield settings


@pytest.mark.parametrize("provider", WEBHOOK_PROVIDERS)
@pytest.mark.parametrize(("entry", "use"), cases("webhook"))
def test_a_hostile_webhook_body_is_refused_with_its_reason_and_nothing_stored(
    client, settings, provider, entry, use
):
    make_live(settings, provider)
    value = entry.built()
    if use.field == "body size":
        response = post_webhook(client, provider, b"", announced(value, content_type(provider)))
    else:
        body = value.encode() if isinstance(value, str) else value
        response = post_webhook(client, provider, body, {})
    assert isinstance(use.outcome, Refused)
    assert response.status_code == 400, response.content
    assert use.outcome.fragment in response.json()["error"]
    assert InboundWebhook.objects.count() == 0
    assert DeliveryEvent.objects.count() == 0

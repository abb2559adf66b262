"""In production settings an endpoint URL must be https and point at public addresses only:
refused when saved (the message under the URL field) and again when delivering."""

import pytest
from django.core.exceptions import ValidationError

from porto.hooks.models import WebhookMessage
from porto.hooks.services import endpoint_create, endpoint_problems, message_deliver
from porto.hooks.ssrf import is_public

EVENTS = ["email.delivered"]
LOCAL = (
    "{host} points to a local or private network address ({address}); use an address "
    "reachable from the internet."
)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = False


@pytest.mark.parametrize(
    ("url", "host", "address"),
    [
        ("https://127.0.0.1/hooks", "127.0.0.1", "127.0.0.1"),
        ("https://10.1.2.3/hooks", "10.1.2.3", "10.1.2.3"),
        ("https://192.168.1.10/hooks", "192.168.1.10", "192.168.1.10"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254", "169.254.169.254"),
        ("https://[::1]/hooks", "::1", "::1"),
        ("https://[::ffff:127.0.0.1]/hooks", "::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("https://224.0.0.1/hooks", "224.0.0.1", "224.0.0.1"),
        ("https://0.0.0.0/hooks", "0.0.0.0", "0.0.0.0"),
    ],
)
def test_a_private_or_local_address_is_refused_with_its_message(production, url, host, address):
    assert endpoint_problems(url, EVENTS) == {"url": LOCAL.format(host=host, address=address)}


def test_a_name_resolving_to_loopback_is_refused(production):
    problem = endpoint_problems("https://localhost:8443/hooks", EVENTS)["url"]
    assert problem.startswith("localhost points to a local or private network address (")


def test_plain_http_is_refused_in_production(production):
    assert endpoint_problems("http://hooks.example.com/porto", EVENTS) == {
        "url": "Use https:// so that the events are encrypted on the way."
    }


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://a/"])
def test_a_scheme_other_than_http_is_refused(production, url):
    assert endpoint_problems(url, EVENTS) == {
        "url": "Enter a web address that starts with https://."
    }


def test_a_url_without_a_server_name_is_refused(production):
    assert endpoint_problems("https:///hooks", EVENTS) == {
        "url": "Enter a web address with a server name, e.g. https://example.com/hooks."
    }


def test_a_name_that_cannot_be_found_is_refused(production):
    assert endpoint_problems("https://nowhere.invalid/hooks", EVENTS) == {
        "url": "The server name nowhere.invalid cannot be found; check the address."
    }


def test_no_event_chosen_is_refused(production):
    assert endpoint_problems("https://93.184.215.14/hooks", []) == {
        "event_types": "Choose at least one event to send to this endpoint."
    }


def test_a_public_address_is_accepted(production):
    assert endpoint_problems("https://93.184.215.14/hooks", EVENTS) == {}


def test_a_refused_endpoint_is_not_saved(production, company):
    with pytest.raises(ValidationError) as refused:
        endpoint_create(company, url="https://10.0.0.5/", description="", event_types=EVENTS)
    assert list(refused.value.message_dict) == ["url"]
    assert not company.webhook_endpoints.exists()


def test_an_address_that_turned_private_is_refused_at_delivery(receiver, invoice, settings):
    """Saved while allowed (as a name that later resolves to this machine): the delivery
    checks again and never connects."""
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = False
    message = WebhookMessage.objects.get(event_type="document.finalized")
    outcome = message_deliver(message.pk, now=message.created_at)
    [attempt] = message.log.all()
    assert outcome.state == "retry"
    assert (attempt.error, attempt.status_code) == ("unsafe_url", None)
    assert receiver.received == []


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("100.64.0.1", False), ("fe80::1", False)],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert is_public(address) is public


def test_an_unknown_event_type_is_refused_by_name(production):
    assert endpoint_problems("https://93.184.215.14/hooks", ["email.bounced", "email.read"]) == {
        "event_types": "Unknown event type: email.bounced."
    }

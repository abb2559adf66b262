"""Settings > Webhooks: owner only (a member and an outsider get 404 on every URL), CSRF on,
the secret shown once and on demand but stored encrypted, refusals under their field, the test
event button and the attempt log."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from porto.hooks.models import WebhookEndpoint, WebhookMessage
from porto.hooks.services import message_deliver
from tests.factories import make_user

ACTIONS = ["webhook_enable", "webhook_delete", "webhook_secret", "webhook_rotate", "webhook_test"]


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def every_url(endpoint: WebhookEndpoint) -> list[str]:
    return [
        reverse("webhooks"),
        reverse("webhook", args=[endpoint.pk]),
        *(reverse(name, args=[endpoint.pk]) for name in ACTIONS),
    ]


@pytest.fixture
def owner(company):
    return make_user(company, role="owner", username="owner")


def test_an_outsider_gets_404_on_every_url_get_and_post(client, endpoint, other_company):
    client.force_login(make_user(other_company, role="owner", username="outsider"))
    for url in every_url(endpoint)[1:]:
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"url": "https://93.184.215.14/"}).status_code == 404, url
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).exists()


def test_a_member_who_is_not_an_owner_gets_404_on_every_url(client, company, endpoint):
    client.force_login(make_user(company, role="member", username="teammate"))
    for url in every_url(endpoint):
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url).status_code == 404, url


def test_a_post_without_the_csrf_token_is_refused(owner, endpoint):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.post(reverse("webhook_delete", args=[endpoint.pk])).status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_adding_an_endpoint_shows_its_secret_once(owner_client, receiver, company):
    response = owner_client.post(
        reverse("webhooks"),
        {"url": receiver.url, "description": "Shop", "event_types": ["email.delivered"]},
    )
    endpoint = WebhookEndpoint.objects.get(company=company)
    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert endpoint.event_types == ["email.delivered"]
    page = owner_client.get(reverse("webhook", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in page


def test_the_secret_is_shown_on_demand_and_stored_encrypted(owner_client, endpoint):
    shown = owner_client.post(reverse("webhook_secret", args=[endpoint.pk])).content.decode()
    assert endpoint.secret in shown
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM hooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        [stored] = cursor.fetchone()
    assert endpoint.secret not in stored
    assert endpoint.secret.removeprefix("whsec_") not in stored


def test_rotating_makes_a_new_secret_and_shows_it(owner_client, endpoint):
    old = endpoint.secret
    page = owner_client.post(reverse("webhook_rotate", args=[endpoint.pk])).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in page


def test_a_refused_url_is_shown_under_the_url_field_and_nothing_is_saved(
    owner_client, company, settings
):
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = False
    response = owner_client.post(
        reverse("webhooks"), {"url": "https://10.0.0.7/hooks", "event_types": ["email.read"]}
    )
    assert response.context["form"].errors == {
        "url": [
            "10.0.0.7 points to a local or private network address (10.0.0.7); use an "
            "address reachable from the internet."
        ]
    }
    assert 'id="id_url_error"' in response.content.decode()
    assert not WebhookEndpoint.objects.filter(company=company).exists()


def test_no_event_chosen_is_shown_under_the_events(owner_client, receiver):
    response = owner_client.post(reverse("webhooks"), {"url": receiver.url})
    assert response.context["form"].errors == {
        "event_types": ["Choose at least one event to send to this endpoint."]
    }


def test_editing_saves_the_url_and_events(owner_client, endpoint, receiver):
    response = owner_client.post(
        reverse("webhook", args=[endpoint.pk]),
        {"url": receiver.url + "/v2", "description": "New", "event_types": ["email.failed"]},
    )
    endpoint.refresh_from_db()
    assert response.status_code == 302
    assert (endpoint.url, endpoint.event_types) == (receiver.url + "/v2", ["email.failed"])


def test_disable_enable_and_delete(owner_client, endpoint):
    owner_client.post(reverse("webhook_enable", args=[endpoint.pk]), {"enabled": "0"})
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    owner_client.post(reverse("webhook_enable", args=[endpoint.pk]), {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.enabled is True
    response = owner_client.post(reverse("webhook_delete", args=[endpoint.pk]))
    assert response.url == reverse("webhooks")
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_test_event_reaches_the_endpoint_and_shows_in_the_attempt_log(
    owner_client, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("webhook_test", args=[endpoint.pk]))
    message = WebhookMessage.objects.get(event_type="webhook.test")
    message_deliver(message.pk)
    [post] = receiver.received
    assert post.headers["webhook-id"] == message.message_id
    page = owner_client.get(reverse("webhook", args=[endpoint.pk])).content.decode()
    assert "HTTP 204" in page and message.message_id in page


def test_a_failed_test_event_is_not_retried(owner_client, endpoint, receiver):
    receiver.answers = [500]
    owner_client.post(reverse("webhook_test", args=[endpoint.pk]))
    message = WebhookMessage.objects.get(event_type="webhook.test")
    assert message_deliver(message.pk).state == "failed"
    page = owner_client.get(reverse("webhook", args=[endpoint.pk])).content.decode()
    assert "HTTP 500" in page and "None: gave up" in page


def test_a_missing_url_is_asked_for_under_the_url_field(owner_client):
    response = owner_client.post(reverse("webhooks"), {"event_types": ["email.read"]})
    assert response.context["form"].errors == {
        "url": ["Enter the address that receives the events."]
    }

"""Webhook endpoints through the API: an integrator registers its own endpoint, changes it,
makes a new secret, sends a test event through the queue (to a real HTTP server on this
machine) and reads the attempt log. Another company's token gets 404, no token 401, a
member's session 404."""

import json

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from porto.hooks.events import EVENT_TYPES
from porto.hooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from porto.hooks.services import endpoint_create, message_deliver, ping_send
from porto.hooks.tasks import deliver_webhook
from tests.api.conftest import error_of
from tests.hooks.conftest import receiver

__all__ = ["receiver"]

LIST = "/api/v1/webhook-endpoints/"
SSRF_MESSAGE = (
    "127.0.0.1 points to a local or private network address (127.0.0.1); "
    "use an address reachable from the internet."
)


@pytest.fixture
def theirs(other_company, settings):
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = True
    return endpoint_create(
        other_company, url="http://127.0.0.1:9/x", description="", event_types=["email.failed"]
    )


@pytest.fixture
def ours(company, receiver):
    return endpoint_create(
        company, url=receiver.url, description="Boekhouding", event_types=["email.delivered"]
    )


def urls_of(endpoint: WebhookEndpoint) -> list[tuple[str, str]]:
    base = f"{LIST}{endpoint.pk}/"
    return [
        ("get", base),
        ("patch", base),
        ("delete", base),
        ("post", f"{base}rotate-secret/"),
        ("post", f"{base}test/"),
        ("get", f"{base}attempts/"),
    ]


def call(api, method: str, path: str, body=None):
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    return api.send(method, path, body or {})


@pytest.mark.django_db
def test_every_endpoint_url_is_404_to_another_companys_token(outsider_api, ours):
    for method, path in urls_of(ours):
        response = call(outsider_api, method, path, {"description": "Mine now"})
        assert (method, path, response.status_code) == (method, path, 404)
        assert error_of(response)["code"] == "not_found"
    assert WebhookEndpoint.objects.get(pk=ours.pk).description == "Boekhouding"
    assert not WebhookMessage.objects.filter(endpoint=ours).exists()


@pytest.mark.django_db
def test_another_companys_token_lists_none_of_our_endpoints(outsider_api, ours, theirs):
    listed = outsider_api.get(LIST).json()["results"]
    assert [e["id"] for e in listed] == [theirs.pk]


@pytest.mark.django_db
def test_every_webhook_url_is_401_without_a_token(anonymous_api, ours):
    paths = [*urls_of(ours), ("get", LIST), ("post", LIST), ("get", "/api/v1/webhook-event-types/")]
    for method, path in paths:
        response = call(anonymous_api, method, path)
        assert (path, response.status_code) == (path, 401)
        assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.django_db
def test_a_members_session_gets_404_like_on_the_settings_page(teammate, ours):
    session = HttpClient()
    session.force_login(teammate)
    assert session.get(LIST).status_code == 404
    assert session.get(f"{LIST}{ours.pk}/").status_code == 404
    assert session.get("/api/v1/webhook-event-types/").status_code == 404


@pytest.mark.django_db
def test_an_owners_session_lists_the_endpoints(owner, ours):
    session = HttpClient()
    session.force_login(owner)
    assert [e["id"] for e in session.get(LIST).json()["results"]] == [ours.pk]


@pytest.mark.django_db
def test_create_answers_the_secret_once_and_stores_the_endpoint(api, company, receiver):
    body = {"url": receiver.url, "event_types": ["email.failed", "email.delivered"]}
    response = api.post(LIST, body, idempotency_key="a1")
    assert response.status_code == 201, response.content
    created = response.json()
    endpoint = WebhookEndpoint.objects.get(company=company)
    assert created["secret"] == endpoint.secret
    assert created["secret"].startswith("whsec_")
    # Stored in the order of the event table, whatever the order sent.
    assert endpoint.event_types == ["email.delivered", "email.failed"]
    assert (endpoint.url, endpoint.enabled) == (receiver.url, True)
    assert "secret" not in api.get(f"{LIST}{endpoint.pk}/").json()
    assert "secret" not in api.get(LIST).json()["results"][0]


@pytest.mark.django_db
def test_a_create_retried_with_its_key_makes_one_endpoint(api, company, receiver):
    body = {"url": receiver.url, "event_types": ["email.failed"]}
    first = api.post(LIST, body, idempotency_key="same")
    again = api.post(LIST, body, idempotency_key="same")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert WebhookEndpoint.objects.filter(company=company).count() == 1


@pytest.mark.django_db
def test_the_stored_first_answer_keeps_the_new_secret_encrypted(api, receiver):
    body = {"url": receiver.url, "event_types": ["email.failed"]}
    secret = api.post(LIST, body, idempotency_key="kept").json()["secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT response_text FROM api_idempotencykey")
        (stored,) = cursor.fetchone()
    assert secret.startswith("whsec_") and secret not in stored
    assert api.post(LIST, body, idempotency_key="kept").json()["secret"] == secret


@pytest.mark.django_db
def test_a_private_address_is_refused_on_url_with_the_settings_pages_words(api, settings):
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = False
    settings.DEBUG = False
    body = {"url": "https://127.0.0.1/hooks", "event_types": ["email.failed"]}
    response = api.post(LIST, body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {"url": [{"code": "invalid", "message": SSRF_MESSAGE}]}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_plain_http_is_refused_on_url_in_production(api, settings):
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = False
    settings.DEBUG = False
    response = api.post(LIST, {"url": "http://example.com/h", "event_types": ["email.failed"]})
    assert error_of(response)["fields"]["url"][0]["message"] == (
        "Use https:// so that the events are encrypted on the way."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"event_types": ["email.failed"]},
            "url",
            "Enter the address that receives the events.",
        ),
        (
            {"url": "http://127.0.0.1/h", "event_types": ["email.bounced", "x"]},
            "event_types",
            "Unknown event type: email.bounced, x.",
        ),
        (
            {"url": "http://127.0.0.1/h", "event_types": []},
            "event_types",
            "Choose at least one event to send to this endpoint.",
        ),
        (
            {"url": "http://127.0.0.1/h"},
            "event_types",
            "Choose at least one event to send to this endpoint.",
        ),
        (
            {"url": "http://127.0.0.1/h", "event_types": "email.failed"},
            "event_types",
            "Give event_types as a list of event types.",
        ),
        (
            {"url": "ftp://127.0.0.1/h", "event_types": ["email.failed"]},
            "url",
            "Enter a web address that starts with https://.",
        ),
        (
            {"url": "http://127.0.0.1/h", "event_types": ["email.failed"], "secret": "x"},
            "secret",
            "Unknown field: remove it, or check its spelling.",
        ),
    ],
)
def test_each_refusal_names_its_field_and_saves_nothing(api, receiver, body, field, message):
    response = api.post(LIST, body)
    assert response.status_code == 400, response.content
    assert [e["message"] for e in error_of(response)["fields"][field]] == [message]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_patch_changes_only_the_fields_sent(api, ours):
    response = api.patch(f"{LIST}{ours.pk}/", {"event_types": ["email.read"], "enabled": False})
    assert response.status_code == 200, response.content
    ours.refresh_from_db()
    assert (ours.url, ours.description, ours.event_types, ours.enabled) == (
        response.json()["url"],
        "Boekhouding",
        ["email.read"],
        False,
    )


@pytest.mark.django_db
def test_a_refused_patch_changes_nothing(api, ours, settings):
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = False
    settings.DEBUG = False
    url = ours.url
    response = api.patch(
        f"{LIST}{ours.pk}/", {"url": "https://10.0.0.5/h", "enabled": False, "description": "x"}
    )
    assert response.status_code == 400
    assert error_of(response)["fields"]["url"][0]["message"] == (
        "10.0.0.5 points to a local or private network address (10.0.0.5); "
        "use an address reachable from the internet."
    )
    ours.refresh_from_db()
    assert (ours.url, ours.enabled, ours.description) == (url, True, "Boekhouding")


@pytest.mark.django_db
def test_delete_removes_the_endpoint(api, ours):
    assert api.delete(f"{LIST}{ours.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=ours.pk).exists()
    assert api.get(f"{LIST}{ours.pk}/").status_code == 404


@pytest.mark.django_db
def test_rotate_secret_answers_the_new_one_and_the_old_signs_for_a_day(api, ours):
    old = ours.secret
    response = api.post(f"{LIST}{ours.pk}/rotate-secret/")
    assert response.status_code == 200, response.content
    ours.refresh_from_db()
    assert response.json()["secret"] == ours.secret != old
    assert ours.previous_secret == old
    assert ours.signing_secrets(timezone.now()) == [ours.secret, old]
    assert ours.signing_secrets(ours.previous_secret_until) == [ours.secret]


@pytest.mark.django_db(transaction=True)
def test_the_test_event_goes_through_the_queue_and_shows_in_the_attempts(api, ours, receiver):
    response = api.post(f"{LIST}{ours.pk}/test/")
    assert response.status_code == 202, response.content
    message = WebhookMessage.objects.get(endpoint=ours)
    assert response.json() == {"message_id": message.message_id}
    [queued] = DBTaskResult.objects.filter(task_path="porto.hooks.tasks.deliver_webhook")
    assert queued.args_kwargs["args"] == [message.pk]
    assert receiver.received == []
    assert deliver_webhook.call(message.pk) == "delivered"  # what the worker does with it
    [post] = receiver.received
    assert post.headers["webhook-id"] == message.message_id
    assert json.loads(post.body)["type"] == "webhook.test"
    attempts = api.get(f"{LIST}{ours.pk}/attempts/").json()
    assert [(a["message_id"], a["event_type"], a["status_code"]) for a in attempts["results"]] == [
        (message.message_id, "webhook.test", 204)
    ]


@pytest.mark.django_db
def test_attempts_are_cursor_pages_newest_first(api, ours, receiver):
    receiver.answers = [500]
    for _ in range(3):
        message_deliver(ping_send(ours))
    first = api.get(f"{LIST}{ours.pk}/attempts/", {"limit": 2}).json()
    second = api.get(first["next"]).json()
    seen = [a["id"] for a in first["results"] + second["results"]]
    newest_first = list(
        WebhookAttempt.objects.filter(message__endpoint=ours)
        .order_by("-attempted_at", "-pk")
        .values_list("pk", flat=True)
    )
    assert seen == newest_first
    assert len(seen) == 3
    assert first["results"][0]["error"] == "http_status"
    assert first["results"][0]["error_message"] == "The endpoint answered with an error status"


@pytest.mark.django_db
def test_event_types_lists_each_subscribable_type_in_the_requests_language(api):
    answer = api.get("/api/v1/webhook-event-types/", accept_language="nl").json()
    assert [t["type"] for t in answer] == list(EVENT_TYPES)
    assert all(t["description"] for t in answer)


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422_and_registers_nothing_more(api, receiver):
    first = {"url": receiver.url, "event_types": ["email.failed"]}
    assert api.post(LIST, first, idempotency_key="k").status_code == 201
    other = api.post(LIST, first | {"description": "Other"}, idempotency_key="k")
    assert (other.status_code, error_of(other)["code"]) == (422, "idempotency_key_reused")
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ('{"url": ', "application/json", 400, "malformed_json"),
        ("url=x", "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_a_body_that_is_not_json_is_refused_with_its_code(api, body, content_type, status, code):
    response = api.http.post(LIST, body, content_type=content_type, **api.headers({}))
    assert (response.status_code, error_of(response)["code"]) == (status, code)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_put_is_405(api, ours):
    response = api.send("put", f"{LIST}{ours.pk}/", {})
    assert (response.status_code, error_of(response)["code"]) == (405, "method_not_allowed")

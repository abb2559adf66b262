"""Webhook bodies are checked before anything stores them: poison input (lone surrogates, NUL,
overlong or odd ids, NaN, deep nesting, huge bodies) is a 400 with a plain reason and nothing
stored, never a 500 and never a row that later stops the worker. Every documented payload
still passes, and Brevo's literal (non-JSON) X-Mailin-custom is still recorded."""

import json
from pathlib import Path

import pytest
from django.test import RequestFactory

from porto.mail.feedback.webhook_body import (
    MAX_DEPTH,
    WebhookBodyError,
    json_strict_loads,
    parseable_body,
    webhook_body_check,
)
from porto.mail.models import DeliveryEvent, InboundWebhook, Recipient
from porto.mail.providers import PROVIDERS as REGISTRY
from porto.mail.status import Status
from tests.tasks import run_queued_tasks

from .tracking_helpers import (
    PAYLOADS,
    Signed,
    content_type,
    email_with,
    make_live,
    payload,
    post_webhook,
    provider_credentials,
)

pytestmark = pytest.mark.django_db

PROVIDERS = sorted(REGISTRY)
BREVO_ID = "202603020900.12345678901@smtp-relay.mailin.fr"
DOCUMENTED_PAYLOADS = sorted(PAYLOADS.glob("*/*.json"))


def request_of(provider: str, body: bytes, **headers: str):
    return RequestFactory().post(
        "/h/", data=body, content_type=content_type(provider), headers=headers
    )


def postmark_bounce(**changes: object) -> dict:
    body = json.loads(payload("postmark", "bounce_hard"))
    body.update(changes)
    return body


@pytest.fixture(autouse=True)
def credentials(settings, monkeypatch):
    with provider_credentials(settings, monkeypatch):
        yield settings


@pytest.fixture
def post(client, settings):
    def send(provider: str, body: bytes, headers: dict | None = None):
        make_live(settings, provider)
        return post_webhook(client, provider, body, headers or {})

    return send


def refused_as_bad_input(response, fragment: str = "") -> None:
    assert response.status_code == 400, response.content
    assert fragment in response.json()["error"]
    assert not InboundWebhook.objects.exists()
    assert not DeliveryEvent.objects.exists()


class TestDocumentedPayloadsPass:
    @pytest.mark.parametrize("path", DOCUMENTED_PAYLOADS, ids=lambda p: f"{p.parent.name}/{p.stem}")
    def test_every_documented_payload_passes_the_body_check(self, path: Path):
        provider = path.parent.name
        body = path.read_bytes()
        if provider == "amazon_ses":
            body, _ = Signed.amazon_ses(body)
        webhook_body_check(provider, request_of(provider, body))


class TestPoisonOverHttp:
    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_a_lone_surrogate_is_400_on_every_endpoint(self, post, provider):
        body = json.dumps(postmark_bounce(Description="bounce \ud800")).encode()
        assert b"\\ud800" in body
        refused_as_bad_input(post(provider, body), "lone surrogate")

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_a_nul_in_a_string_is_400_on_every_endpoint(self, post, provider):
        body = json.dumps(postmark_bounce(Email="niemand\x00@klant.example")).encode()
        refused_as_bad_input(post(provider, body), "NUL")

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_a_deeply_nested_body_is_400_not_500_on_every_endpoint(self, post, provider):
        refused_as_bad_input(post(provider, b"[" * 100_000 + b"]" * 100_000), "nested")

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_nesting_just_past_the_limit_is_400(self, post, provider):
        nested: object = "deep"
        for _ in range(MAX_DEPTH):
            nested = {"x": nested}
        body = json.dumps(postmark_bounce(Details=nested)).encode()
        refused_as_bad_input(post(provider, body), "nested")

    @pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
    def test_nan_and_infinity_are_400(self, post, constant):
        body = payload("postmark", "bounce_hard").replace(
            b'"TypeCode": 1', b'"TypeCode": ' + constant
        )
        assert constant in body
        refused_as_bad_input(post("postmark", body), "not a JSON number")

    def test_a_300_character_message_id_is_400(self, post):
        body = json.dumps(postmark_bounce(MessageID="a" * 300)).encode()
        refused_as_bad_input(post("postmark", body), "longer than 200")

    @pytest.mark.parametrize("message_id", ["a b", "a\tb", "id\u00e9", "<a>\r\nBcc: x"])
    def test_a_message_id_with_spaces_control_or_non_ascii_characters_is_400(
        self, post, message_id
    ):
        body = json.dumps(postmark_bounce(MessageID=message_id)).encode()
        refused_as_bad_input(post("postmark", body), "MessageID")

    def test_a_message_id_that_is_an_object_is_400(self, post):
        body = json.dumps(postmark_bounce(MessageID={"$gt": ""})).encode()
        refused_as_bad_input(post("postmark", body), "not text or a number")

    def test_a_repeated_key_is_400(self, post):
        body = payload("postmark", "bounce_hard").replace(
            b'"RecordType": "Bounce",', b'"RecordType": "Delivery", "RecordType": "Bounce",'
        )
        refused_as_bad_input(post("postmark", body), "repeats a key")

    def test_a_body_over_the_size_limit_is_400(self, post, settings):
        settings.PORTO_WEBHOOK_MAX_BODY_BYTES = 1000
        body = json.dumps(postmark_bounce(Description="x" * 2000)).encode()
        refused_as_bad_input(post("postmark", body), "larger than 1000 bytes")

    def test_bytes_that_are_not_utf8_are_400(self, post):
        refused_as_bad_input(post("postmark", b'{"MessageID": "\xff\xfe"}'), "not UTF-8")

    def test_a_raw_nul_byte_is_400(self, post):
        refused_as_bad_input(post("postmark", b'{"MessageID": "a\x00b"}'), "NUL")

    def test_an_overlong_svix_id_is_400(self, post):
        body, headers = Signed.resend(payload("resend", "email_delivered"))
        headers["HTTP_SVIX_ID"] = "msg_" + "x" * 300
        refused_as_bad_input(post("resend", body, headers), "svix-id")

    def test_a_lone_surrogate_inside_a_signed_sns_message_is_400(self, post):
        notification = json.loads(payload("amazon_ses", "bounce_permanent"))
        inner = json.loads(notification["Message"])
        inner["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = "smtp; 550 \ud800"
        notification["Message"] = json.dumps(inner)  # escaped as \\ud800 inside the string
        body, headers = Signed.amazon_ses(json.dumps(notification).encode())
        refused_as_bad_input(post("amazon_ses", body, headers), "SNS Message")

    def test_a_nul_in_a_mailgun_legacy_form_post_is_400(self, post, client, settings):
        make_live(settings, "mailgun")
        from porto.mail.feedback.webhook_gate import webhook_path

        response = client.post(
            webhook_path("mailgun"),
            data=b"event=delivered&recipient=a%00b%40klant.example&token=abc",
            content_type="application/x-www-form-urlencoded",
        )
        refused_as_bad_input(response, "NUL")


class TestAPoisonRequestLeavesTheNextOneWorking:
    def test_a_refused_poison_bounce_then_a_normal_bounce_is_recorded(
        self, post, company, django_capture_on_commit_callbacks
    ):
        postmark_id = "883953f4-6105-42a2-a16a-77a8eac79483"
        email_with(company, ["niemand@klant.example"], postmark_id, sent_through="postmark")
        poison = json.dumps(postmark_bounce(Description="\ud800", MessageID="x" * 300)).encode()
        refused_as_bad_input(post("postmark", poison))

        with django_capture_on_commit_callbacks(execute=True):
            assert post("postmark", payload("postmark", "bounce_hard")).status_code == 200
        run_queued_tasks()

        assert InboundWebhook.objects.get().error == ""
        assert Recipient.objects.get().failed_at is not None


class TestBrevoLiteralCustomHeader:
    def test_the_event_is_stored_as_received_and_recorded(
        self, post, company, django_capture_on_commit_callbacks
    ):
        email_with(company, ["boekhouding@klant.example"], BREVO_ID, sent_through="brevo")
        body = payload("brevo", "bad_custom_header")
        assert json.loads(body)["X-Mailin-custom"] == "porto_recipient=41"

        with django_capture_on_commit_callbacks(execute=True):
            response = post("brevo", body)
        run_queued_tasks()

        assert response.status_code == 200 and response.json() == {"received": 1}
        stored = InboundWebhook.objects.get()
        assert bytes(stored.body) == body and stored.error == ""
        assert stored.events_recorded == 1
        event = DeliveryEvent.objects.get(source="brevo")
        assert event.type == "delivered"

    def test_only_a_literal_custom_header_is_handed_on_as_a_json_string(self):
        literal = payload("brevo", "bad_custom_header")
        assert json.loads(parseable_body("brevo", literal))["X-Mailin-custom"] == (
            '"porto_recipient=41"'
        )
        as_json = json.dumps({"event": "delivered", "X-Mailin-custom": '{"a": 1}'}).encode()
        assert parseable_body("brevo", as_json) == as_json
        assert parseable_body("postmark", literal) == literal


class TestStrictJson:
    @pytest.mark.parametrize(
        "text, reason",
        [
            ("NaN", "not a JSON number"),
            ('{"a": Infinity}', "not a JSON number"),
            ('{"a": 1, "a": 2}', "repeats a key"),
            ("[" * 5000 + "]" * 5000, "nested"),
            ("{'a': 1}", "not valid JSON"),
        ],
    )
    def test_refused_with_the_reason(self, text, reason):
        with pytest.raises(WebhookBodyError, match=reason):
            json_strict_loads(text)

    def test_ordinary_json_is_read(self):
        assert json_strict_loads('{"a": [1, 2.5, "x", null, true]}') == {
            "a": [1, 2.5, "x", None, True]
        }


def test_a_status_is_never_changed_by_a_refused_body(post, company):
    postmark_id = "883953f4-6105-42a2-a16a-77a8eac79483"
    email = email_with(company, ["niemand@klant.example"], postmark_id, sent_through="postmark")
    body = json.dumps(postmark_bounce(Description="\ud800")).encode()
    refused_as_bad_input(post("postmark", body))
    assert Recipient.objects.get(email=email).status() != Status.FAILED

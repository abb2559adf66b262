"""The webhook gate: an endpoint exists only for the provider Porto sends through, at a URL with
an unguessable token, and answers only requests proven by that provider's own credentials,
fresh, and not replayed. Everything refused is refused with nothing stored and nothing changed.

Bodies are each provider's documented payloads (tests/mail/payloads), signed the way the
provider signs them (tracking_helpers.Signed)."""

import datetime as dt
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from porto.mail.feedback.webhook_gate import (
    live_providers,
    webhook_path,
    webhook_token,
)
from porto.mail.models import DeliveryEvent, InboundWebhook, Recipient
from porto.mail.providers import PROVIDERS as REGISTRY

from .tracking_helpers import (
    Signed,
    anymail_settings,
    basic_auth,
    content_type,
    email_with,
    make_live,
    payload,
    post_webhook,
    provider_credentials,
)

pytestmark = pytest.mark.django_db

PROVIDERS = sorted(REGISTRY)
BASIC_AUTH_ONLY = ["brevo", "mailjet", "postmark", "sparkpost"]
SIGNED = ["amazon_ses", "mailgun", "postal", "resend", "sendgrid"]
STALE_CAPABLE = ["amazon_ses", "mailgun", "resend", "sendgrid"]
HOUR_AGO = dt.timedelta(hours=-1)
POSTMARK_ID = "883953f4-6105-42a2-a16a-77a8eac79483"

# One documented failure-or-delivery payload per provider.
DOCUMENTED = {
    "postmark": "bounce_hard",
    "mailgun": "failed_permanent",
    "sendgrid": "bounces",
    "amazon_ses": "bounce_permanent",
    "brevo": "hard_bounce",
    "resend": "email_bounced_permanent",
    "postal": "message_bounced",
    "sparkpost": "events",
    "mailjet": "events",
}


def signed_request(provider: str, at: dt.datetime | None = None) -> tuple[bytes, dict]:
    """The provider's documented payload, signed by it now (or at ``at``)."""
    body = payload(provider, DOCUMENTED[provider])
    if provider in ("mailgun", "sendgrid", "resend"):
        return getattr(Signed, provider)(body, at=at)
    if provider == "amazon_ses":
        when = at or dt.datetime.now(dt.UTC)
        stamp = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return Signed.amazon_ses(body, Timestamp=stamp)
    if provider == "postal":
        return Signed.postal(body)
    return Signed.unsigned(body)


def forged_request(provider: str) -> tuple[bytes, dict, dict]:
    """(body, headers, auth): right basic auth, signature by someone else; for basic-auth-only
    providers, a wrong password."""
    body = payload(provider, DOCUMENTED[provider])
    forged = {
        "mailgun": lambda: Signed.mailgun(body, key="guessed-signing-key"),
        "sendgrid": lambda: Signed.sendgrid(body, private=ec.generate_private_key(ec.SECP256R1())),
        "resend": lambda: Signed.resend(body, secret="whsec_" + "A" * 32),
        "postal": lambda: Signed.postal(body, key_name="attacker"),
        "amazon_ses": lambda: Signed.amazon_ses(body, key_name="attacker"),
    }
    if provider in forged:
        return *forged[provider](), basic_auth()
    return body, {}, basic_auth("porto:guessed-password")


@pytest.fixture(autouse=True)
def credentials(settings, monkeypatch):
    """Every provider's credentials configured; which provider is live is up to each test."""
    settings.PORTO_MAIL_TRANSPORT = "sandbox"
    settings.PORTO_WEBHOOK_RETIRED_PROVIDERS = []
    with provider_credentials(settings, monkeypatch):
        yield settings


@pytest.fixture
def bounced_email(company):
    """An email the Postmark hard bounce names: it must never change on a refused request."""
    return email_with(company, ["niemand@klant.example"], POSTMARK_ID, sent_through="postmark")


def nothing_stored() -> bool:
    return not InboundWebhook.objects.exists() and not DeliveryEvent.objects.exists()


def unchanged(email) -> bool:
    found = Recipient.objects.get(email=email)
    return found.failed_at is None and found.delivered_at is None


def post_to(client, path: str, provider: str, body: bytes, headers: dict, auth: dict):
    return client.post(path, data=body, content_type=content_type(provider), **auth, **headers)


class TestDefaultSettings:
    """The sandbox sends: no provider is live, so no webhook URL answers anyone."""

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_an_anonymous_postmark_hard_bounce_to_any_provider_url_is_404(
        self, client, provider, bounced_email
    ):
        body = payload("postmark", "bounce_hard")
        for path in (f"/webhooks/{provider}/", webhook_path(provider)):
            response = client.post(path, data=body, content_type="application/json")
            assert response.status_code == 404, path
        assert nothing_stored() and unchanged(bounced_email)

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_even_a_request_the_provider_signed_is_404_while_it_is_not_sent_through(
        self, client, provider
    ):
        body, headers = signed_request(provider)
        assert post_webhook(client, provider, body, headers).status_code == 404
        assert nothing_stored()

    def test_no_provider_is_live(self):
        assert live_providers() == []

    def test_the_system_checks_report_nothing(self):
        assert [m for m in run_checks() if m.id.startswith("porto.E61")] == []


class TestOnlyTheLiveProvidersEndpoint:
    @pytest.mark.parametrize("live", PROVIDERS)
    def test_every_other_providers_url_is_404_even_with_its_valid_signature(
        self, client, settings, live
    ):
        make_live(settings, live)
        for other in PROVIDERS:
            if other == live:
                continue
            body, headers = signed_request(other)
            assert post_webhook(client, other, body, headers).status_code == 404, other
        assert nothing_stored()

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_the_live_providers_signed_request_is_stored_once(self, client, settings, provider):
        make_live(settings, provider)
        body, headers = signed_request(provider)
        response = post_webhook(client, provider, body, headers)
        assert response.status_code == 200, response.content
        assert InboundWebhook.objects.get().provider == provider

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_a_wrong_token_is_404(self, client, settings, provider):
        make_live(settings, provider)
        body, headers = signed_request(provider)
        real = webhook_token(provider)
        for token in ("0" * len(real), real[:-1], real + "0", webhook_token("other"), "x"):
            path = f"/webhooks/{provider}/{token}/"
            assert post_to(client, path, provider, body, headers, basic_auth()).status_code == 404
        assert nothing_stored()

    def test_a_retired_provider_still_answers_beside_the_live_one(self, client, settings):
        make_live(settings, "postmark")
        settings.PORTO_WEBHOOK_RETIRED_PROVIDERS = ["mailgun"]
        assert live_providers() == ["postmark", "mailgun"]
        assert post_webhook(client, "mailgun", *signed_request("mailgun")).status_code == 200
        assert post_webhook(client, "sendgrid", *signed_request("sendgrid")).status_code == 404


class TestAuthentication:
    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_an_anonymous_request_is_401_and_changes_nothing(
        self, client, settings, provider, bounced_email
    ):
        make_live(settings, provider)
        body = payload(provider, DOCUMENTED[provider])
        response = post_webhook(client, provider, body, {}, auth={})
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic")
        assert nothing_stored() and unchanged(bounced_email)

    @pytest.mark.parametrize("provider", SIGNED)
    def test_without_basic_auth_configured_an_unsigned_request_is_403(
        self, client, settings, provider
    ):
        settings.ANYMAIL = {k: v for k, v in anymail_settings().items() if k != "WEBHOOK_SECRET"}
        make_live(settings, provider)
        body = payload(provider, DOCUMENTED[provider])
        response = post_webhook(client, provider, body, {}, auth={})
        assert response.status_code == 403, response.content
        assert nothing_stored()

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_a_forged_request_is_403_and_changes_nothing(
        self, client, settings, provider, bounced_email
    ):
        make_live(settings, provider)
        body, headers, auth = forged_request(provider)
        response = post_webhook(client, provider, body, headers, auth=auth)
        assert response.status_code == 403, response.content
        assert response.json()["error"]
        assert nothing_stored() and unchanged(bounced_email)

    @pytest.mark.parametrize("provider", STALE_CAPABLE)
    def test_a_request_signed_an_hour_ago_is_403(self, client, settings, provider):
        make_live(settings, provider)
        old = dt.datetime.now(dt.UTC) + HOUR_AGO
        response = post_webhook(client, provider, *signed_request(provider, at=old))
        assert response.status_code == 403
        error = response.json()["error"]
        assert "stale or replayed" in error or "too old" in error  # Resend: svix says it first
        assert nothing_stored()


class TestMissingCredentials:
    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_the_live_endpoint_refuses_every_request_and_the_check_says_what_to_set(
        self, client, settings, provider, bounced_email
    ):
        make_live(settings, provider)
        settings.ANYMAIL = {}
        settings.PORTO_SNS_TOPIC_ARNS = []
        body, headers = signed_request(provider)

        response = post_webhook(client, provider, body, headers, auth={})

        assert response.status_code == 403
        assert "not configured" in response.json()["error"]
        assert nothing_stored() and unchanged(bounced_email)
        errors = [m for m in run_checks() if m.id == "porto.E610"]
        assert len(errors) == 1 and provider in errors[0].msg
        missing = REGISTRY[provider].auth.credentials[0].setting
        assert missing in errors[0].hint

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_with_its_credentials_the_check_is_clean(self, settings, provider):
        make_live(settings, provider)
        assert [m for m in run_checks() if m.id.startswith("porto.E61")] == []

    def test_mailgun_accepts_its_api_key_as_the_signing_key_like_anymail(self, settings):
        make_live(settings, "mailgun")
        settings.ANYMAIL = {"MAILGUN_API_KEY": "key-123"}
        assert [m for m in run_checks() if m.id == "porto.E610"] == []

    def test_a_provider_porto_cannot_hear_from_is_e611(self, settings):
        settings.PORTO_MAIL_TRANSPORT = "provider"
        settings.PORTO_ANYMAIL_BACKEND = "anymail.backends.mailersend.EmailBackend"
        assert [m.id for m in run_checks() if m.id.startswith("porto.E61")] == ["porto.E611"]

    def test_a_basic_auth_secret_without_a_colon_is_e612(self, settings):
        settings.ANYMAIL = {**anymail_settings(), "WEBHOOK_SECRET": "justapassword"}
        assert [m.id for m in run_checks() if m.id.startswith("porto.E61")] == ["porto.E612"]

    def test_the_checks_run_with_check_deploy(self, settings):
        make_live(settings, "postmark")
        settings.ANYMAIL = {}
        with pytest.raises(SystemCheckError, match=r"porto\.E610"):
            call_command("check", "--deploy", stdout=io.StringIO(), stderr=io.StringIO())


class TestReplay:
    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_the_identical_request_again_is_200_and_stored_once(self, client, settings, provider):
        make_live(settings, provider)
        body, headers = signed_request(provider)
        first = post_webhook(client, provider, body, headers)
        again = post_webhook(client, provider, body, headers)
        assert first.status_code == again.status_code == 200
        assert again.json() == {"received": 0, "already_received": True}
        assert InboundWebhook.objects.count() == 1

    def test_a_captured_mailgun_signature_with_other_data_is_403(
        self, client, settings, bounced_email
    ):
        """Mailgun signs only timestamp and token: the token is remembered."""
        make_live(settings, "mailgun")
        body, headers = Signed.mailgun(payload("mailgun", "delivered"))
        assert post_webhook(client, "mailgun", body, headers).status_code == 200

        other = json.loads(payload("mailgun", "failed_permanent"))
        other["signature"] = json.loads(body)["signature"]  # still a valid signature
        response = post_webhook(client, "mailgun", json.dumps(other).encode(), headers)

        assert response.status_code == 403
        assert "replayed" in response.json()["error"]
        assert InboundWebhook.objects.count() == 1

    def test_a_mailgun_request_replayed_after_the_window_is_403(self, client, settings):
        make_live(settings, "mailgun")
        signed_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=-200)
        body, headers = Signed.mailgun(payload("mailgun", "delivered"), at=signed_at)
        assert post_webhook(client, "mailgun", body, headers).status_code == 200
        settings.PORTO_WEBHOOK_MAX_AGE = 100  # the window has passed for the same request
        assert post_webhook(client, "mailgun", body, headers).status_code == 403
        assert InboundWebhook.objects.count() == 1

    def test_an_sns_message_id_with_another_message_is_refused(self, client, settings):
        make_live(settings, "amazon_ses")
        body, headers = signed_request("amazon_ses")
        assert post_webhook(client, "amazon_ses", body, headers).status_code == 200
        other = json.loads(payload("amazon_ses", "delivery"))
        other["MessageId"] = json.loads(body)["MessageId"]
        other_body, other_headers = Signed.amazon_ses(json.dumps(other).encode())
        response = post_webhook(client, "amazon_ses", other_body, other_headers)
        assert response.status_code == 403
        assert InboundWebhook.objects.count() == 1

    def test_a_twin_stored_by_a_concurrent_request_is_answered_as_already_received(
        self, settings, monkeypatch
    ):
        from django.test import RequestFactory

        from porto.mail.feedback import webhooks
        from porto.mail.feedback.webhook_gate import delivery_key

        body = payload("postmark", "delivery")
        request = RequestFactory().post("/h/", data=body, content_type="application/json")
        key = delivery_key("postmark", request)

        def twin_arrives_meanwhile(provider, request):
            InboundWebhook.objects.create(provider=provider, body=body, delivery_key=key)
            return []

        monkeypatch.setattr(webhooks, "webhook_classify", twin_arrives_meanwhile)
        received = webhooks.webhook_receive("postmark", request)

        assert received.already_received
        assert InboundWebhook.objects.count() == 1

    def test_the_delivery_key_names_the_provider_and_its_id(self, client, settings):
        make_live(settings, "resend")
        body, headers = signed_request("resend")
        post_webhook(client, "resend", body, headers)
        assert InboundWebhook.objects.get().delivery_key == f"resend:svix:{headers['HTTP_SVIX_ID']}"


class TestTokens:
    def test_each_provider_has_its_own_token_of_fixed_length(self):
        tokens = {webhook_token(provider) for provider in PROVIDERS}
        assert len(tokens) == len(PROVIDERS)
        assert {len(token) for token in tokens} == {40}

    def test_the_token_follows_porto_webhook_secret(self, settings):
        before = webhook_token("postmark")
        settings.PORTO_WEBHOOK_SECRET = "another-secret"
        assert webhook_token("postmark") != before


class TestWebhookUrlsCommand:
    def test_it_prints_the_live_providers_url_with_the_basic_auth_and_that_url_works(
        self, client, settings
    ):
        make_live(settings, "postmark")
        out = io.StringIO()
        call_command("webhook_urls", "--base-url", "https://porto.example", stdout=out)

        line = out.getvalue().strip()
        expected = f"https://porto:s3cret-webhook-password@porto.example{webhook_path('postmark')}"
        assert line == f"postmark: {expected}"
        path = line.split("porto.example", 1)[1]
        body = payload("postmark", "delivery")
        assert post_to(client, path, "postmark", body, {}, basic_auth()).status_code == 200

    def test_with_the_sandbox_it_says_there_is_no_webhook(self):
        out = io.StringIO()
        call_command("webhook_urls", stdout=out)
        assert "no webhook URL" in out.getvalue()

    def test_it_warns_when_the_credentials_are_missing(self, settings):
        make_live(settings, "resend")
        settings.ANYMAIL = {}
        err = io.StringIO()
        call_command("webhook_urls", stdout=io.StringIO(), stderr=err)
        assert "ANYMAIL_RESEND_SIGNING_SECRET" in err.getvalue()

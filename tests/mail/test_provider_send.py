"""Every provider in the README really sends: an invoice goes through the real anymail backend
(boto3 for Amazon SES) to a local HTTP server answering as the provider documents; what
reached the API is checked, the stored message id is the one the provider's events name, and
each documented event type, shaped as the provider posts it, moves the status."""

import dataclasses
import datetime

import pytest
from django.utils import translation

from porto.emailsettings.selectors import email_settings_for
from porto.mail.delivery import email_deliver
from porto.mail.message_ids import message_id_normalise
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.providers import PROVIDERS
from porto.mail.providers.base.provider import SendQuirks
from porto.mail.reasons import reason_render
from porto.mail.requests import NewAttachment, SendRequest, email_send
from tests.mail.conftest import small_pdf
from tests.mail.provider_api import FAKES, FakeApi, api_start

TO = "compta@cafe-elysee.example"
CC = "boss@cafe-elysee.example"
PER_MESSAGE_TRACKING = {"postmark", "mailgun", "sendgrid", "mailjet", "sparkpost"}
SECRETS = (
    "server-token",
    "key-mailgun",
    "SG.key",
    "xkeysib-key",
    "mj-secret",
    "re_key",
    "postal-key",
    "sp-key",
    "example-secret-access-key",
)


@pytest.fixture(params=sorted(FAKES))
def api(request, settings):
    running = api_start(request.param)
    settings.PORTO_MAIL_TRANSPORT = "provider"
    settings.PORTO_ANYMAIL_BACKEND = running.api.backend
    settings.ANYMAIL = running.api.settings()
    yield running.api
    running.stop()


def tracking(company, on: bool) -> None:
    email_settings = email_settings_for(company)
    email_settings.track_opens = on
    email_settings.save()


def send_invoice(invoice, **extra) -> OutgoingEmail:
    return email_send(SendRequest(document=invoice, to=[f"Jean Dupré <{TO}>"], cc=[CC], **extra))


def test_the_invoice_reaches_every_provider_with_its_recipients_and_files(api, invoice):
    terms = small_pdf("terms")
    email = send_invoice(invoice, attachments=[NewAttachment("terms.pdf", terms)])
    assert email_deliver(email.pk) == "sent"

    [call] = api.calls
    sent = api.sent(call)
    assert (sent.to, sent.cc, sent.bcc) == ([TO], [CC], [])
    stored = {a.filename: bytes(a.blob.content) for a in email.attachments.all()}
    assert sent.attachments == stored and stored["terms.pdf"] == terms
    assert message_id_normalise(sent.message_id_header) == email.message_id
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_metadata_goes_to_every_provider_but_postal(api, invoice):
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "sent"
    metadata = api.sent(api.calls[0]).metadata
    if api.name == "postal":
        assert metadata is None
    else:
        assert metadata is not None and metadata["porto_email"] == email.public_id.hex


def test_the_stored_id_is_the_one_the_providers_events_name(api, invoice):
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "sent"
    expected = {
        address: message_id_normalise(message_id)
        for address, message_id in api.event_ids(api.calls[0]).items()
    }
    stored = dict(email.recipients.values_list("address", "provider_message_id"))
    assert stored == expected
    assert all(message_id and "<" not in message_id for message_id in stored.values())


def test_the_way_and_the_account_are_stored_without_the_secret(api, invoice):
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "sent"
    email.refresh_from_db()
    assert email.sent_through == api.name
    assert email.sent_account
    assert not any(secret in email.sent_account for secret in SECRETS)


def test_tracking_off_switches_opens_and_clicks_off_at_the_provider(api, invoice, company):
    tracking(company, on=False)
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "sent"
    sent = api.sent(api.calls[0])
    if api.name in PER_MESSAGE_TRACKING:
        assert (sent.track_opens, sent.track_clicks) == (False, False)
    else:  # configured at the provider, not per message: nothing is sent
        assert (sent.track_opens, sent.track_clicks) == (None, None)


def test_tracking_on_asks_for_opens_and_never_for_clicks(api, invoice, company):
    tracking(company, on=True)
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "sent"
    sent = api.sent(api.calls[0])
    if api.name in PER_MESSAGE_TRACKING:
        assert (sent.track_opens, sent.track_clicks) == (True, False)
    else:
        assert (sent.track_opens, sent.track_clicks) == (None, None)


# --- configuration errors fail at once; outages are retried -------------------------------------

CREDENTIALS_REFUSED = {
    "postmark": (401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."}),
    "mailgun": (401, {"message": "Invalid private key"}),
    "sendgrid": (
        401,
        {"errors": [{"field": None, "message": "The provided authorization grant is invalid"}]},
    ),
    "brevo": (401, {"code": "unauthorized", "message": "Key not found"}),
    "mailjet": (
        401,
        {"ErrorIdentifier": "1ab2", "StatusCode": 401, "ErrorMessage": "API key authentication"},
    ),
    "resend": (401, {"statusCode": 401, "name": "missing_api_key", "message": "Missing API key"}),
    # Postal answers every error with HTTP 200 and says it in the body.
    "postal": (
        200,
        {
            "status": "error",
            "time": 0.01,
            "flags": {},
            "data": {
                "code": "InvalidServerAPIKey",
                "message": "The API token provided in X-Server-API-Key was not valid.",
            },
        },
    ),
    "sparkpost": (401, {"errors": [{"message": "Unauthorized."}]}),
    "amazon_ses": (
        403,
        {
            "__type": "UnrecognizedClientException",
            "message": "The security token included in the request is invalid.",
        },
    ),
}


def test_refused_credentials_fail_nothing_the_email_waits_for_the_key(api, invoice):
    api.replies.append(CREDENTIALS_REFUSED[api.name])
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "waiting"  # the API key says nothing about the client
    email.refresh_from_db()
    assert (email.state, email.held) == (OutgoingEmail.State.QUEUED, OutgoingEmail.Held.PAUSED)
    assert Recipient.objects.get(email=email, address=TO).failed_at is None
    [attempt] = email.attempts_log.all()
    assert "refused Porto's credentials" in attempt.detail
    assert "API key in the server settings must be fixed" in attempt.detail


def test_a_provider_outage_waits_and_then_sends(api, invoice):
    api.replies.append((503, {"message": "Service Unavailable"}))
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "waiting"
    email.refresh_from_db()
    assert email.held == OutgoingEmail.Held.PAUSED
    [attempt] = email.attempts_log.all()
    assert "not reachable or busy" in attempt.detail
    assert email_deliver(email.pk, now=email.next_attempt_at + datetime.timedelta(seconds=1)) == (
        "sent"
    )


@pytest.fixture
def use_provider(settings):
    """Start the fake of a named provider and point anymail at it (settings can be trimmed)."""
    started = []

    def use(name: str, drop: str = "") -> FakeApi:
        running = api_start(name)
        started.append(running)
        settings.PORTO_MAIL_TRANSPORT = "provider"
        settings.PORTO_ANYMAIL_BACKEND = running.api.backend
        settings.ANYMAIL = {k: v for k, v in running.api.settings().items() if k != drop}
        return running.api

    yield use
    for running in started:
        running.stop()


@pytest.mark.parametrize(
    "provider, label, missing",
    [
        ("postmark", "Postmark", "POSTMARK_SERVER_TOKEN"),
        ("mailgun", "Mailgun", "MAILGUN_API_KEY"),
        ("postal", "Postal", "POSTAL_API_URL"),
    ],
)
def test_missing_settings_fail_the_email_at_once(use_provider, invoice, provider, label, missing):
    api = use_provider(provider, drop=missing)
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "failed"
    reason = reason_render(Recipient.objects.get(email=email, address=TO).failure_reason)
    assert reason.startswith(f"Porto's settings for {label} are incomplete")
    assert missing in reason
    assert api.calls == []


def test_amazon_ses_without_credentials_fails_at_once(use_provider, settings, invoice, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    api = use_provider("amazon_ses")
    params = settings.ANYMAIL["AMAZON_SES_CLIENT_PARAMS"]
    settings.ANYMAIL = {
        "AMAZON_SES_CLIENT_PARAMS": {
            "endpoint_url": params["endpoint_url"],
            "region_name": "eu-west-1",
        }
    }
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "failed"
    reason = reason_render(Recipient.objects.get(email=email, address=TO).failure_reason)
    assert reason.startswith("Porto's settings for Amazon SES are incomplete")
    assert api.calls == []


@pytest.mark.parametrize(
    "provider, quirks, feature",
    [
        ("postal", {"metadata": True, "tracking_per_message": False}, "does not support metadata"),
        ("resend", {"metadata": True, "tracking_per_message": True}, "does not support track_"),
    ],
)
def test_an_option_the_provider_does_not_offer_fails_at_once(
    use_provider, invoice, monkeypatch, provider, quirks, feature
):
    api = use_provider(provider)
    as_before = dataclasses.replace(PROVIDERS[provider], quirks=SendQuirks(**quirks))
    monkeypatch.setitem(PROVIDERS, provider, as_before)
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "failed"
    reason = reason_render(Recipient.objects.get(email=email, address=TO).failure_reason)
    assert reason.startswith("Porto's settings for") and feature in reason
    assert api.calls == []


@pytest.mark.parametrize(
    "language, words",
    [
        ("nl", "De instellingen van Porto voor Postmark zijn onvolledig of fout"),
        ("fr", "Les réglages de Porto pour Postmark sont incomplets ou erronés"),
    ],
)
def test_the_configuration_reason_is_shown_in_the_readers_language(
    use_provider, invoice, language, words
):
    use_provider("postmark", drop="POSTMARK_SERVER_TOKEN")
    email = send_invoice(invoice)
    assert email_deliver(email.pk) == "failed"  # the worker speaks English
    stored = Recipient.objects.get(email=email, address=TO).failure_reason
    assert stored["code"] == "provider_settings"
    assert stored["params"]["provider"] == "Postmark"
    with translation.override(language):
        assert words in reason_render(stored)

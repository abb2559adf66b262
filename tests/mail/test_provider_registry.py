"""The provider registry: one folder per provider, each declaring everything Porto needs, or
saying what it lacks and why; every per-provider lookup answers from it."""

import dataclasses
import datetime
from pathlib import Path

import pytest
from anymail.webhooks.base import AnymailCoreWebhookView
from django.utils import timezone

from porto.mail import providers as providers_package
from porto.mail.feedback.refresh.services import client_for, refresh_refusal
from porto.mail.feedback.webhook_gate import credentials_missing
from porto.mail.providers import (
    PROVIDERS,
    UnknownProvider,
    policy_for,
    provider_get,
    provider_of_backend,
)
from porto.mail.providers.base.status import RefreshRefused, StatusClient
from porto.mail.providers.base.webhook import WebhookParser
from porto.mail.sent_through import provider_account
from porto.mail.timeline import email_line
from porto.mail.transports.provider import quirks_for
from tests.factories import make_email
from tests.mail.refresh_fakes import FakeSession

NAMES = sorted(PROVIDERS)
FOLDER = Path(providers_package.__file__).parent
PAYLOADS = Path(__file__).parent / "payloads"
STATUS_ANSWERS = Path(__file__).parent / "status_api"
SECRET = "xkeysib-not-to-be-shown-0123456789"


def test_every_provider_folder_is_registered_and_every_registered_provider_has_a_folder():
    folders = {p.name for p in FOLDER.iterdir() if (p / "__init__.py").exists()} - {"base"}
    assert folders == set(PROVIDERS)
    assert len(PROVIDERS) == 9


@pytest.mark.parametrize("name", NAMES)
def test_each_provider_is_complete_or_says_what_it_lacks_and_why(name):
    provider = PROVIDERS[name]
    assert provider.name == name and provider.label
    assert (FOLDER / name / "webhook.py").exists()
    assert issubclass(provider.webhook.view_class, AnymailCoreWebhookView)
    assert isinstance(provider.parser, WebhookParser)
    assert (provider.parser.name, provider.parser.label) == (provider.name, provider.label)
    assert provider.auth.credentials, "a webhook without credentials would fall open"
    assert provider.rate.requests > 0 and provider.rate.per_seconds > 0
    assert provider.retention_days >= 0
    if provider.status is None:
        assert provider.label in str(provider.no_status_reason)
        assert not (FOLDER / name / "status.py").exists()
    else:
        assert issubclass(provider.status, StatusClient)
        assert (FOLDER / name / "status.py").exists()
        assert provider.retention > 0, "a status client needs an event log to read"
        assert not provider.no_status_reason


@pytest.mark.parametrize("name", NAMES)
def test_each_provider_has_recorded_webhook_payloads(name):
    assert any((PAYLOADS / name).glob("*.json"))


@pytest.mark.parametrize("name", [n for n in NAMES if PROVIDERS[n].status is not None])
def test_each_status_client_has_a_recorded_answer(name):
    assert any(STATUS_ANSWERS.glob(f"{name}_*.json"))


@pytest.mark.parametrize("name", NAMES)
def test_each_of_anymails_backend_names_maps_to_its_provider(name):
    for backend in PROVIDERS[name].backends:
        assert provider_of_backend(f"anymail.backends.{backend}.EmailBackend") == name


def test_brevos_old_name_is_still_brevo():
    assert provider_of_backend("anymail.backends.sendinblue.EmailBackend") == "brevo"


def test_an_unknown_provider_is_refused_everywhere_it_is_looked_up():
    with pytest.raises(UnknownProvider, match="postmark"):
        provider_get("mandrill")
    assert credentials_missing("mandrill") == ["(Porto has no webhook for 'mandrill')"]
    assert not policy_for("mandrill").has_api
    with pytest.raises(RefreshRefused, match="cannot ask this provider"):
        client_for("mandrill")


@pytest.mark.parametrize("name", NAMES)
def test_the_status_client_is_the_registrys(name):
    provider = PROVIDERS[name]
    if provider.status is None:
        with pytest.raises(RefreshRefused) as refused:
            client_for(name)
        assert refused.value.message == str(provider.no_status_reason)
    else:
        client = client_for(name, session=FakeSession({}))
        assert type(client) is provider.status
        assert client.source == f"{name}-api" and client.policy.label == provider.label


def test_send_quirks_come_from_the_provider_record():
    assert not quirks_for("postal").metadata and not quirks_for("postal").tracking_per_message
    assert quirks_for("postmark").metadata and quirks_for("postmark").tracking_per_message
    assert not quirks_for("brevo").tracking_per_message


def test_the_account_names_the_api_host_and_never_the_key(settings):
    settings.ANYMAIL = {"BREVO_API_KEY": SECRET}
    account = provider_account("brevo")
    assert account.startswith("api.brevo.com key ") and SECRET not in account


@pytest.mark.parametrize("name", [n for n in NAMES if PROVIDERS[n].status is None])
def test_the_user_sees_why_a_provider_without_a_status_client_cannot_be_asked(invoice, name):
    now = timezone.now()
    email = make_email(
        invoice,
        transport="provider",
        sent_through=name,
        handed_off_at=now - datetime.timedelta(hours=1),
    )
    line = email_line(email, now)
    assert not line.refresh_allowed
    assert line.refresh_reason == str(PROVIDERS[name].no_status_reason)
    assert refresh_refusal(email, now) == line.refresh_reason


def test_only_mailjet_and_amazon_ses_lack_a_status_client_and_mailjet_says_why():
    assert {name for name in NAMES if PROVIDERS[name].status is None} == {"amazon_ses", "mailjet"}
    assert str(PROVIDERS["mailjet"].no_status_reason) == (
        "Porto cannot ask Mailjet about a sent message; its events come by webhook."
    )


def test_a_record_without_a_status_client_must_say_why():
    with pytest.raises(ValueError, match="says why"):
        dataclasses.replace(PROVIDERS["postmark"], status=None)

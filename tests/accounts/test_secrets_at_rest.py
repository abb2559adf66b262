"""Secrets at rest, read as someone with a copy of the database would: the raw columns hold
no mailbox password, webhook secret or stored API answer in clear, and no API token at all
(only its hash). `manage.py rotate_secrets` moves every one of them to the newest key."""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from porto.api.models import IdempotencyKey, secret_hash
from porto.api.services import token_create
from porto.emailsettings.models import EmailSettings
from porto.emailsettings.selectors import email_settings_for
from porto.hooks.events import EMAIL_DELIVERED
from porto.hooks.models import WebhookEndpoint
from porto.hooks.services import endpoint_create

SMTP_PASSWORD = "smtp-Geheim-7f3a"
IMAP_PASSWORD = "imap-Secret-91bc"


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTO_FERNET_KEYS = [old]
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = True
    return old, new


def raw_row(model, pk) -> dict[str, object]:
    """Every column of one row as the database stores it, without the model's fields."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def raw_text(model, pk) -> str:
    return " ".join(str(value) for value in raw_row(model, pk).values())


def an_endpoint(company) -> WebhookEndpoint:
    # A receiver on this machine (allowed by PORTO_WEBHOOKS_ALLOW_PRIVATE): saving resolves it.
    return endpoint_create(
        company, url="https://127.0.0.1/porto", description="", event_types=[EMAIL_DELIVERED]
    )


def mailbox_with_passwords(company) -> EmailSettings:
    stored = email_settings_for(company)
    stored.smtp_password = SMTP_PASSWORD
    stored.imap_password = IMAP_PASSWORD
    stored.save()
    return stored


def test_mailbox_passwords_are_not_in_the_database_in_clear(company, keys):
    stored = mailbox_with_passwords(company)
    row = raw_row(EmailSettings, stored.pk)
    assert SMTP_PASSWORD not in raw_text(EmailSettings, stored.pk)
    assert IMAP_PASSWORD not in raw_text(EmailSettings, stored.pk)
    assert str(row["smtp_password"]).startswith("gAAAA")  # a Fernet token
    assert EmailSettings.objects.get(pk=stored.pk).smtp_password == SMTP_PASSWORD


def test_webhook_endpoint_secrets_are_not_in_the_database_in_clear(company, keys):
    endpoint = an_endpoint(company)
    assert endpoint.secret
    assert endpoint.secret not in raw_text(WebhookEndpoint, endpoint.pk)
    assert str(raw_row(WebhookEndpoint, endpoint.pk)["secret"]).startswith("gAAAA")


def test_a_stored_idempotent_answer_is_not_in_the_database_in_clear(company, keys):
    answer = {"id": 7, "secret": "whsec_answer-only-once"}
    stored = IdempotencyKey(company=company, key="k1", method="POST", path="/api/v1/x")
    stored.body_hash = "0" * 64
    stored.response_body = answer
    stored.save()
    assert "whsec_answer-only-once" not in raw_text(IdempotencyKey, stored.pk)
    assert IdempotencyKey.objects.get(pk=stored.pk).response_body == answer


def test_an_api_token_is_stored_only_as_its_hash(company, owner):
    new = token_create(company, owner, "Accounting")
    row = raw_text(type(new.token), new.token.pk)
    assert new.secret not in row
    assert new.secret[8:] not in row  # not even the part after the shown prefix
    assert raw_row(type(new.token), new.token.pk)["secret_hash"] == secret_hash(new.secret)


def test_rotate_secrets_moves_every_kind_of_secret_to_the_new_key(company, keys, settings):
    old, new = keys
    mailbox = mailbox_with_passwords(company)
    endpoint = an_endpoint(company)
    answer = IdempotencyKey(company=company, key="k2", method="POST", path="/api/v1/x")
    answer.body_hash = "0" * 64
    answer.response_body = {"secret": "whsec_rotated"}
    answer.save()

    settings.PORTO_FERNET_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "Re-encrypted 4 secret(s); 0 unreadable." in out.getvalue()

    settings.PORTO_FERNET_KEYS = [new]  # the old key is gone
    assert EmailSettings.objects.get(pk=mailbox.pk).imap_password == IMAP_PASSWORD
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret
    assert json.loads(IdempotencyKey.objects.get(pk=answer.pk).response_text) == {
        "secret": "whsec_rotated"
    }

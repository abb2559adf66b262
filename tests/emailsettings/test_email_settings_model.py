"""The rules of EmailSettings hold at the model and database layer, whoever writes."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from porto.emailsettings.models import EmailSettings, Method
from porto.emailsettings.selectors import email_settings_for
from porto.emailsettings.services import email_settings_update
from porto.lib import crypto
from porto.lib.smtp import Security, SmtpConfig

pytestmark = pytest.mark.django_db


def raw_column(settings: EmailSettings, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM emailsettings_emailsettings WHERE id = %s", [settings.pk]
        )
        return cursor.fetchone()[0]


def test_defaults_are_created_once_per_company(company, other_company):
    first = email_settings_for(company)
    again = email_settings_for(company)
    other = email_settings_for(other_company)

    assert first.pk == again.pk != other.pk
    assert (first.method, first.default_format, first.track_opens) == ("platform", "pdf", False)
    assert company.email_settings == first


def test_switching_to_smtp_switches_open_tracking_off_on_save(company):
    settings = email_settings_for(company)
    settings.track_opens = True
    settings.save()
    assert EmailSettings.objects.get(pk=settings.pk).track_opens is True

    settings.method = Method.SMTP
    settings.save(update_fields=["method"])

    assert EmailSettings.objects.get(pk=settings.pk).track_opens is False
    assert settings.track_opens is False


def test_clean_switches_open_tracking_off_for_smtp(company):
    settings = EmailSettings(
        company=company,
        method=Method.SMTP,
        track_opens=True,
        smtp_host="smtp.acme.example",
        smtp_from_address="facturen@acme.example",
    )
    settings.full_clean()
    assert settings.track_opens is False


def test_database_refuses_tracking_with_smtp_even_around_the_model(company):
    settings = email_settings_for(company)
    EmailSettings.objects.filter(pk=settings.pk).update(method="smtp")

    with pytest.raises(IntegrityError), transaction.atomic():
        EmailSettings.objects.filter(pk=settings.pk).update(track_opens=True)

    assert EmailSettings.objects.get(pk=settings.pk).track_opens is False


def test_smtp_needs_host_and_from_address(company):
    settings = email_settings_for(company)

    with pytest.raises(ValidationError) as caught:
        email_settings_update(settings, {"method": "smtp"})

    assert set(caught.value.message_dict) == {"smtp_host", "smtp_from_address"}
    assert email_settings_for(company).method == "platform"


@pytest.mark.parametrize("value", ["not an address", "a@b@c.example", "x@acme.example\nBcc: y@z"])
def test_reply_to_must_be_an_address(company, value):
    settings = email_settings_for(company)

    with pytest.raises(ValidationError) as caught:
        email_settings_update(settings, {"reply_to": value})

    assert "reply_to" in caught.value.message_dict
    assert email_settings_for(company).reply_to == ""


def test_sender_name_cannot_carry_a_header(company):
    settings = email_settings_for(company)

    with pytest.raises(ValidationError) as caught:
        email_settings_update(settings, {"sender_name": "Acme\r\nBcc: victim@example.com"})

    assert caught.value.message_dict["sender_name"] == [
        "The sender name contains a line break or another control character: write it on one line."
    ]


def test_valid_update_is_saved_and_normalised(company):
    settings = email_settings_for(company)

    saved = email_settings_update(settings, {"reply_to": " Boekhouding@Acme.example "})

    assert saved.reply_to == "Boekhouding@acme.example"
    assert email_settings_for(company).reply_to == "Boekhouding@acme.example"


def test_password_is_encrypted_at_rest(company, settings):
    stored = email_settings_for(company)
    stored.smtp_password = "Sup3r-geheim!"
    stored.imap_password = "imap-geheim"
    stored.save()

    raw = raw_column(stored, "smtp_password")

    assert "Sup3r-geheim!" not in raw
    assert crypto.decrypt(raw) == "Sup3r-geheim!"
    assert "imap-geheim" not in raw_column(stored, "imap_password")
    assert EmailSettings.objects.get(pk=stored.pk).smtp_password == "Sup3r-geheim!"
    settings.PORTO_FERNET_KEYS = [Fernet.generate_key().decode()]  # someone without the key
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(raw)
    assert EmailSettings.objects.get(pk=stored.pk).smtp_password == ""


def test_empty_password_stays_empty_in_the_database(company):
    stored = email_settings_for(company)
    assert raw_column(stored, "smtp_password") == ""


def test_smtp_config_carries_the_settings(company):
    stored = email_settings_for(company)
    stored.smtp_host, stored.smtp_port, stored.smtp_security = "smtp.acme.example", 465, "tls"
    stored.smtp_username, stored.smtp_password = "u", "p"
    stored.save()

    config = EmailSettings.objects.get(pk=stored.pk).smtp_config()

    assert config == SmtpConfig("smtp.acme.example", 465, Security.TLS, "u", "p")
    assert "p'" not in repr(config)


def test_admin_never_shows_the_password(company, client):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "root@acme.example", "pw")
    stored = email_settings_for(company)
    stored.smtp_password = "Sup3r-geheim!"
    stored.save()
    client.force_login(admin_user)

    page = client.get(f"/admin/emailsettings/emailsettings/{stored.pk}/change/")

    assert page.status_code == 200
    assert b"Sup3r-geheim!" not in page.content
    assert b'name="smtp_host"' in page.content


@pytest.mark.parametrize(
    "host", ["smtp://mail.acme.example", "mail.acme.example:587", "mail acme.example", "-x.be"]
)
def test_host_must_be_a_bare_name(company, host):
    with pytest.raises(ValidationError) as caught:
        email_settings_update(email_settings_for(company), {"smtp_host": host})
    assert "Give only the server's name" in caught.value.message_dict["smtp_host"][0]


@pytest.mark.parametrize("host", ["smtp.acme.example", "127.0.0.1", "::1", "mail.acme.example."])
def test_host_names_and_addresses_are_accepted(company, host):
    saved = email_settings_update(
        email_settings_for(company), {"imap_host": host, "imap_username": "u"}
    )
    assert saved.imap_host == host.rstrip(".")


@hypothesis_settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["platform", "smtp"]), st.booleans()), max_size=6))
def test_no_sequence_of_saves_stores_tracking_with_smtp(company, changes):
    stored = email_settings_for(company)
    for method, track_opens in changes:
        stored.method, stored.track_opens = method, track_opens
        stored.save()
        row = EmailSettings.objects.values("method", "track_opens").get(pk=stored.pk)
        assert row == {"method": method, "track_opens": track_opens and method == "platform"}

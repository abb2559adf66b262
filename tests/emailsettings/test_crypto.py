import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from porto.lib import crypto


def test_round_trip_and_tokens_differ_each_time():
    first, second = crypto.encrypt("geheim"), crypto.encrypt("geheim")
    assert first != second
    assert "geheim" not in first
    assert crypto.decrypt(first) == crypto.decrypt(second) == "geheim"


def test_development_key_comes_from_secret_key(settings):
    settings.PORTO_FERNET_KEYS = []
    token = crypto.encrypt("x")
    settings.SECRET_KEY = "another secret key"
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(token)


def test_rotation_old_key_still_decrypts_and_rotate_moves_to_new(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTO_FERNET_KEYS = [old]
    token = crypto.encrypt("geheim")

    settings.PORTO_FERNET_KEYS = [new, old]
    assert crypto.decrypt(token) == "geheim"
    rotated = crypto.rotate(token)

    settings.PORTO_FERNET_KEYS = [new]
    assert crypto.decrypt(rotated) == "geheim"
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(token)


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.PORTO_FERNET_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        crypto.encrypt("x")


@pytest.mark.django_db
def test_rotate_secrets_command_moves_stored_passwords_to_the_new_key(company, settings):
    from django.core.management import call_command

    from porto.emailsettings.models import EmailSettings
    from porto.emailsettings.selectors import email_settings_for

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PORTO_FERNET_KEYS = [old]
    stored = email_settings_for(company)
    stored.smtp_password = "geheim"
    stored.save()

    settings.PORTO_FERNET_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "Re-encrypted 1 secret(s); 0 unreadable." in out.getvalue()
    settings.PORTO_FERNET_KEYS = [new]

    assert EmailSettings.objects.get(pk=stored.pk).smtp_password == "geheim"


def test_deploy_check_warns_without_own_keys(settings):
    from porto.emailsettings.checks import fernet_keys_configured

    settings.PORTO_FERNET_KEYS = []
    assert [w.id for w in fernet_keys_configured(None)] == ["porto.W600"]
    settings.PORTO_FERNET_KEYS = ["not-a-key"]
    assert [w.id for w in fernet_keys_configured(None)] == ["porto.W601"]
    settings.PORTO_FERNET_KEYS = [Fernet.generate_key().decode()]
    assert fernet_keys_configured(None) == []

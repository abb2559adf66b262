import pytest
from django.conf import settings as django_settings


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are made in almost every test; the production hasher would dominate the run.
    The usual hashers stay listed so passwords hashed before this fixture still check."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *django_settings.PASSWORD_HASHERS,
    ]

"""Production settings (PORTO_DEBUG=0) pass `manage.py check --deploy` without a warning, and
missing production configuration stops Porto at startup with the variable's name."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="does not use the database; the SQLite pass runs it",
    ),
]


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """This machine's environment without Porto's variables, plus a production setup."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTO_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env |= {
        "PORTO_DEBUG": "0",
        "PORTO_SECRET_KEY": secrets.token_urlsafe(60),
        "PORTO_FERNET_KEYS": Fernet.generate_key().decode(),
        "PORTO_ALLOWED_HOSTS": "porto.example",
        "PORTO_BASE_URL": "https://porto.example",
        "PORTO_VAR_DIR": str(tmp_path),
        # Production names its database (it never falls back to the file in the var folder).
        "DATABASE_URL": f"sqlite:///{tmp_path / 'porto.sqlite3'}",
    }
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert (result.returncode, result.stderr) == (0, "")
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_names_the_https_redirect_when_it_is_turned_off(tmp_path):
    env = production_env(tmp_path, PORTO_SSL_REDIRECT="0")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_production_without_fernet_keys_stops_at_startup_naming_the_variable(tmp_path):
    result = manage(production_env(tmp_path, PORTO_FERNET_KEYS=None), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set PORTO_FERNET_KEYS" in result.stderr
    assert "not for production" in result.stderr


def test_production_without_a_secret_key_stops_at_startup_naming_the_variable(tmp_path):
    result = manage(production_env(tmp_path, PORTO_SECRET_KEY=None), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: Set PORTO_SECRET_KEY" in result.stderr


def test_production_sends_the_security_headers_and_secure_cookies(tmp_path):
    """The production settings as a request sees them: the HTTPS redirect, HSTS and the
    cookie flags, through Django's test client in a fresh process."""
    script = "\n".join(
        [
            "import django, json",
            "django.setup()",
            "from django.conf import settings",
            "from django.test import Client",
            "c = Client()",
            "plain = c.get('/login/', HTTP_HOST='porto.example')",
            "tls = c.get('/login/', HTTP_HOST='porto.example', secure=True)",
            "cookie = tls.cookies['csrftoken']",
            "print(json.dumps({",
            "  'redirect': [plain.status_code, plain.get('Location')],",
            "  'hsts': tls.get('Strict-Transport-Security'),",
            "  'nosniff': tls.get('X-Content-Type-Options'),",
            "  'referrer': tls.get('Referrer-Policy'),",
            "  'coop': tls.get('Cross-Origin-Opener-Policy'),",
            "  'frame': tls.get('X-Frame-Options'),",
            "  'csrf_cookie': [bool(cookie['secure']), cookie['samesite']],",
            "  'session_cookie': [settings.SESSION_COOKIE_SECURE,",
            "                     settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE],",
            "}))",
        ]
    )
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="porto.settings")
    collected = manage(env, "collectstatic", "--noinput")  # production serves hashed files
    assert collected.returncode == 0, collected.stderr
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {
        "redirect": [301, "https://porto.example/login/"],
        "hsts": "max-age=31536000; includeSubDomains; preload",
        "nosniff": "nosniff",
        "referrer": "same-origin",
        "coop": "same-origin",
        "frame": "DENY",
        "csrf_cookie": [True, "Lax"],
        "session_cookie": [True, True, "Lax"],
    }

"""The Dutch and French catalogs of these pages compile, are complete and are used."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

CATALOGS = Path(django_settings.BASE_DIR) / "locale"


def untranslated(po: Path) -> list[str]:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        line for line in result.stderr.splitlines() if "untranslated" in line or "fuzzy" in line
    ]


@pytest.fixture
def compiled(tmp_path, settings):
    if not shutil.which("msgfmt"):
        pytest.skip("msgfmt (gettext) is not installed.")
    for language in ("nl", "fr"):
        po = CATALOGS / language / "LC_MESSAGES" / "django.po"
        assert untranslated(po) == []
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(po)], check=True)
    settings.LOCALE_PATHS = [tmp_path]
    return tmp_path


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "Testmail versturen"), ("fr", "Envoyer un e-mail de test")],
)
def test_catalogs_are_complete_and_used(compiled, language, expected):
    with translation.override(language):
        assert translation.gettext("Send test email") == expected


def test_smtp_step_messages_are_translated(compiled):
    from porto.lib.smtp import SmtpConfig, SmtpFailure, Step, smtp_open

    with translation.override("nl"), pytest.raises(SmtpFailure) as caught:
        smtp_open(SmtpConfig("smtp.acme.invalid", 587, timeout=5))
    assert caught.value.step == Step.CONNECT
    assert "werd niet gevonden: controleer de servernaam" in caught.value.message

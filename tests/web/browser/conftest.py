import pytest

from tests.mail.conftest import prestore_pdf, small_pdf

__all__ = ["prestore_pdf", "small_pdf"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_einvoice_rules(settings, tmp_path):
    """UBL files are checked against the official rules in tests/documents; none here."""
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "no-rules"


@pytest.fixture(autouse=True)
def no_worker(settings):
    """Nothing delivers or refreshes by itself: a test runs the worker when it wants."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

"""A pytest plugin (`-p tests.in_memory_storage`): every test runs with Django's in-memory file
storage as the default storage, and fails if anything still wrote a file into MEDIA_ROOT.
tests/test_production_profile.py runs the stored-file tests with it, which proves that Porto
reaches rendered files and logos only through the storage API, so S3 (no local path) works."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def in_memory_file_storage(settings):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    }
    yield
    media = Path(settings.MEDIA_ROOT)
    written = [str(p) for p in media.rglob("*") if p.is_file()] if media.exists() else []
    assert written == [], f"written to the local disk instead of the storage: {written}"

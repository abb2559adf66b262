"""Fixtures for the document files. The official rules (``validator``, ``einvoice_dir``) come
from tests/einvoice_rules.py, shared with the other test folders."""

import pytest


@pytest.fixture
def with_rules(settings, validator):
    settings.PORTO_EINVOICE_RULES_DIR = validator.directory
    return validator


@pytest.fixture
def without_rules(settings, tmp_path):
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "no-rules-here"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT

"""Fixtures for the document files: the official rules from the shared e-invoicing folder,
installed once per test session into a temporary folder and compiled once."""

import os
from pathlib import Path

import pytest

from porto.documents.rendering import rules, validation

REPOSITORY = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    return Path(os.environ.get("PORTO_SHARED_DIR", REPOSITORY.parent / "shared"))


@pytest.fixture(scope="session")
def einvoice_dir() -> Path:
    folder = shared_dir() / "einvoice"
    if not (folder / rules.SUMS_FILE).is_file():
        message = f"the e-invoicing rules folder {folder} is missing (set PORTO_SHARED_DIR)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must have it.")
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def installed_rules(einvoice_dir, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("einvoice") / "rules"
    rules.install_from_folder(einvoice_dir, target)
    return target


@pytest.fixture(scope="session")
def validator(installed_rules) -> validation.Validator:
    compiled = validation.get_validator(installed_rules)
    assert compiled is not None
    return compiled


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

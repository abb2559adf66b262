"""The official e-invoicing rules for any test that checks a UBL file: the rules from the shared
e-invoicing folder, installed once per test session into a temporary folder and compiled once.
Registered for every test folder by ``pytest_plugins`` in tests/conftest.py."""

import os
from pathlib import Path

import pytest
from lxml import etree

from porto.documents.rendering import rules, ubl, validation

REPOSITORY = Path(__file__).resolve().parents[1]
NS = {"cac": ubl.CAC, "cbc": ubl.CBC}


def shared_dir() -> Path:
    return Path(os.environ.get("PORTO_SHARED_DIR", REPOSITORY.parent / "shared"))


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(value) for value in etree.fromstring(xml).xpath(path, namespaces=NS)]


def assert_valid(validator: validation.Validator, xml: bytes) -> None:
    """Valid against the UBL schema, the EN 16931 rules and the Peppol BIS 3.0 rules."""
    report = validator.validate(xml)
    assert report.layers == ("xsd", "en16931", "peppol")
    assert [(f.rule_id, f.text) for f in report.fatal] == []
    assert report.is_valid


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

"""validate_ubl against XML entity attacks: a file that declares entities is refused with one
line that says why, a non-zero exit status and no traceback, before any validator reads it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]
SECRET = "porto-xxe-canary-4f1c"

XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file://{path}">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>&secret;</cbc:ID>
</Invoice>
"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE Invoice [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>
"""


@pytest.fixture
def xxe_file(tmp_path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    file = tmp_path / "xxe.xml"
    file.write_text(XXE.format(path=secret))
    return file


def test_an_external_entity_is_refused_with_its_reason(with_rules, xxe_file, capsys):
    with pytest.raises(CommandError) as caught:
        call_command("validate_ubl", str(xxe_file))
    assert str(caught.value) == f"{xxe_file}: refused: external entities"
    assert caught.value.returncode == 1
    assert SECRET not in capsys.readouterr().out


def test_an_external_entity_is_refused_also_as_json(with_rules, xxe_file, capsys):
    with pytest.raises(CommandError, match="refused: external entities"):
        call_command("validate_ubl", str(xxe_file), "--json")
    assert SECRET not in capsys.readouterr().out


def test_internal_entity_declarations_are_refused_too(with_rules, tmp_path):
    file = tmp_path / "laughs.xml"
    file.write_text(LAUGHS)
    with pytest.raises(CommandError) as caught:
        call_command("validate_ubl", str(file))
    assert str(caught.value) == f"{file}: refused: entity declarations (a UBL file has none)"
    assert caught.value.returncode == 1


def test_the_command_line_prints_no_traceback_for_an_external_entity(validator, xxe_file):
    environment = os.environ | {"PORTO_EINVOICE_RULES_DIR": str(validator.directory)}
    finished = subprocess.run(
        [sys.executable, "manage.py", "validate_ubl", str(xxe_file)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 1
    assert "refused: external entities" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert SECRET not in finished.stdout + finished.stderr

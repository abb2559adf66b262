"""Management commands over every catalogue entry tried on them: validate_ubl refuses a file
that declares entities (external ones, parameter ones, billion laughs) with one line that says
why and exit status 1, before any validator reads it and without ever showing the file an
entity points at; send_document refuses bad arguments with the send path's words and queues
nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from porto.mail.models import OutgoingEmail
from tests.hostile.catalogue import XXE_CANARY, Refused, cases

ROOT = Path(__file__).resolve().parents[2]


def xml_file(tmp_path: Path, template: str) -> Path:
    """The entry's XML, its entities pointing at a file that holds the canary."""
    secret = tmp_path / "secret.txt"
    secret.write_text(XXE_CANARY)
    file = tmp_path / "hostile.xml"
    file.write_text(template.replace("{path}", str(secret)))
    return file


def run(use, value, tmp_path, invoice) -> tuple[str, int]:
    """(the command's error, its exit status) for ``value`` given as ``use.field``."""
    if use.field == "validate_ubl":
        arguments = ["validate_ubl", str(xml_file(tmp_path, value))]
    elif use.field == "send_document --to":
        arguments = ["send_document", invoice.number, *[f"--to={a}" for a in value]]
    else:
        assert use.field == "send_document number"
        arguments = ["send_document", value, "--to=compta@cafe-elysee.example"]
    with pytest.raises(CommandError) as caught:
        call_command(*arguments)
    return str(caught.value), caught.value.returncode


@pytest.mark.django_db
@pytest.mark.parametrize(("entry", "use"), cases("command"))
def test_a_command_refuses_the_entry_with_its_reason_and_does_nothing(
    tmp_path, capsys, invoice, entry, use
):
    message, status = run(use, entry.built(), tmp_path, invoice)
    assert isinstance(use.outcome, Refused)
    assert use.outcome.fragment in message
    assert status == 1
    assert XXE_CANARY not in capsys.readouterr().out + message
    assert not OutgoingEmail.objects.exists()


XXE_ENTRY = next(e for e in cases("command") if e.values[0].id == "xml-external-entity")


def test_the_command_line_prints_no_traceback_for_an_external_entity(tmp_path):
    file = xml_file(tmp_path, XXE_ENTRY.values[0].built())
    environment = os.environ | {"PORTO_EINVOICE_RULES_DIR": str(tmp_path / "no-rules")}
    finished = subprocess.run(
        [sys.executable, "manage.py", "validate_ubl", str(file)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 1
    assert "refused: external entities" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert XXE_CANARY not in finished.stdout + finished.stderr


@pytest.mark.parametrize("as_json", [False, True])
def test_an_external_entity_is_refused_in_both_output_forms(tmp_path, capsys, as_json):
    file = xml_file(tmp_path, XXE_ENTRY.values[0].built())
    options = ["--json"] if as_json else []
    with pytest.raises(CommandError) as caught:
        call_command("validate_ubl", str(file), *options)
    assert str(caught.value) == f"{file}: refused: external entities"
    assert XXE_CANARY not in capsys.readouterr().out

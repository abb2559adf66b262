"""The curl example of docs/api.md ("Clients") runs as written against a live server."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from porto.api.services import token_create
from porto.clients.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def curl_examples() -> list[str]:
    blocks = re.findall(r"```\n(curl .*?)\n```", DOCS.read_text(encoding="utf-8"), re.S)
    return [block.replace("\\\n", " ") for block in blocks]


def test_the_create_a_client_example_creates_the_client(live_server, company, owner):
    [example] = [e for e in curl_examples() if "-X POST" in e and "/api/v1/clients/" in e]
    secret = token_create(company, owner, "Docs").secret
    command = example.replace("https://porto.example", live_server.url)
    command = command.replace("$PORTO_TOKEN", secret)
    arguments = [*shlex.split(command), "--silent", "--show-error", "--fail-with-body"]
    result = subprocess.run(arguments, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    client = Client.objects.get(company=company)
    assert (client.name, client.vat_number) == ("Brouwerij Het Anker NV", "BE0403170701")
    assert [e.address for e in client.emails.all()] == ["boekhouding@hetanker.example"]

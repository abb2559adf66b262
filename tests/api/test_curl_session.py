"""docs/api.md, "A complete session", runs as written: its curl commands against a live server
(host, token and ids put in from the previous answers, as the doc says), the sandbox SMTP
server as the mail transport, the worker run between steps, a real HTTP server receiving the
signed webhook, and the doc's Python snippet verifying it."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from svix.webhooks import Webhook

from porto.hooks.services import message_deliver, messages_due
from tests.api.test_send import media, no_einvoice_rules, no_worker
from tests.hooks.conftest import receiver
from tests.web.worker import run_worker

__all__ = ["media", "no_einvoice_rules", "no_worker", "receiver"]

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC_HOST = "https://porto.example"
DOC_ENDPOINT = "https://erp.hetanker.example/porto-events"


def session_section() -> str:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    start = text.index("## A complete session")
    return text[start : text.index("\n## ", start + 1)]


def session_commands() -> list[str]:
    return re.findall(r"```sh\n(curl .*?)\n```", session_section(), re.S)


def python_block(text: str) -> str:
    [block] = re.findall(r"```python\n(.*?)```", text, re.S)
    return block


def token_from_the_settings_page(owner) -> str:
    """Step 1 as a person does it: Settings > API tokens, a name, Create token."""
    browser = HttpClient()
    browser.force_login(owner)
    page = browser.post("/settings/api-tokens/", {"name": "ERP"}).content.decode()
    [secret] = re.findall(r'id="api-token-secret"[^>]* value="(porto_[^"]+)"', page)
    return secret


def curl(command: str, values: dict[str, str], token: str) -> dict:
    """The command as a shell runs it, with $PORTO_TOKEN set as step 1 says."""
    for written, actual in values.items():
        command = command.replace(written, actual)
    result = subprocess.run(
        ["bash", "-c", command + " --silent --show-error --fail-with-body"],
        env={"PATH": os.environ["PATH"], "PORTO_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, command + "\n" + result.stdout + result.stderr
    return json.loads(result.stdout)


def test_the_complete_session_ends_with_a_verified_webhook_and_a_delivered_email(
    live_server, company, owner, sandbox, receiver
):
    token = token_from_the_settings_page(owner)
    values = {DOC_HOST: live_server.url, DOC_ENDPOINT: receiver.url}
    add_client, add_endpoint, add_invoice, finalize, send, read_status = session_commands()

    client = curl(add_client, values, token)
    values['"client": 12'] = f'"client": {client["id"]}'
    secret = curl(add_endpoint, values, token)["secret"]
    invoice = curl(add_invoice, values, token)
    values["/documents/42/"] = f"/documents/{invoice['id']}/"
    assert curl(finalize, values, token)["number"]
    email = curl(send, values, token)
    assert email["status"] == "in_transit"
    values["/emails/1044/"] = f"/emails/{email['id']}/"

    assert set(run_worker().values()) == {"sent"}
    assert [message_deliver(pk).state for pk in messages_due()] == ["delivered"]

    [post] = receiver.received
    assert json.loads(post.body)["type"] == "email.delivered"
    snippet = python_block(session_section())
    assert snippet == python_block((DOCS / "webhooks.md").read_text(encoding="utf-8"))
    namespace: dict = {}
    exec(snippet, namespace)  # the doc's own lines, run as a reader runs them
    body = post.body.encode()
    assert namespace["verify"](secret, post.headers, body) is True
    tampered = body.replace(b'"delivered"', b'"failed"')
    assert namespace["verify"](secret, post.headers, tampered) is False
    Webhook(secret).verify(body, post.headers)  # an independent Standard Webhooks library agrees

    assert curl(read_status, values, token)["status"] == "delivered"

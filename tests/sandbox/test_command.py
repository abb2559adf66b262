"""`manage.py sandbox_smtp` as `make run` starts it: a separate process with its own database."""

import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.sandbox.helpers import build_email

pytestmark = pytest.mark.processes

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def environment(var_dir):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"PORTO_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    manage = [sys.executable, str(REPOSITORY / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=120)
    return env


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sandbox_smtp_accepts_a_message_and_stops_cleanly(environment, var_dir, signum):
    command = [sys.executable, str(REPOSITORY / "manage.py"), "sandbox_smtp", "--port", "0"]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith("Sandbox SMTP server listening on 127.0.0.1:")
        port = int(first_line.rsplit(":", 1)[1])
        raw = build_email(message_id=f"<command-{signum.name}@send.example>")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            refused = smtp.sendmail("acme-bv@send.example", ["boekhouding@klant.example"], raw)
        assert refused == {}

        process.send_signal(signum)
        remaining_output = process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0
    assert "Sandbox SMTP server stopped." in remaining_output
    with sqlite3.connect(var_dir / "porto.sqlite3") as database:
        rows = database.execute(
            "SELECT raw, envelope_recipients FROM sandbox_sandboxmessage WHERE message_id = ?",
            [f"<command-{signum.name}@send.example>"],
        )
        assert [(bytes(r), e) for r, e in rows] == [(raw, '["boekhouding@klant.example"]')]
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=5)


def test_a_port_in_use_is_a_clear_error(environment):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        command = [
            sys.executable,
            str(REPOSITORY / "manage.py"),
            "sandbox_smtp",
            "--port",
            str(port),
        ]
        result = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=60
        )

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Is another sandbox_smtp running?" in result.stderr


def test_a_port_out_of_range_is_a_clear_error():
    with pytest.raises(CommandError, match=r"'70000' is not a port number \(0 to 65535\)"):
        call_command("sandbox_smtp", "--port", "70000")

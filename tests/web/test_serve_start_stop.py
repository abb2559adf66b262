"""`manage.py serve` (what `make run` ends with): the web server (gunicorn, never runserver)
and the task worker start, the login page and its stylesheet answer over HTTP, and Ctrl-C (or
a plain kill) stops every process, gunicorn's workers included."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The app under test always runs on its own SQLite file, so the PostgreSQL pass would only
# repeat this (slow) check.
pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs its own SQLite app; the SQLite pass runs it",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def login_page_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and b"Log in to Porto" in response.read()
    except OSError:
        return False


def stylesheet_is_served(url: str) -> bool:
    """Whitenoise serves the source file itself in development (no collectstatic)."""
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read()
    source = (ROOT / "static" / "porto" / "porto.css").read_bytes()
    return response.headers["Content-Type"].startswith("text/css") and body == source


@pytest.fixture(scope="module")
def app_env(tmp_path_factory):
    """A migrated SQLite database in a fresh var dir (never the test run's own database)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {"PORTO_VAR_DIR": str(tmp_path_factory.mktemp("var")), "PYTHONUNBUFFERED": "1"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return env


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_starts_everything_and_stops_everything(app_env, tmp_path, stop_signal):
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--address", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=app_env | {"PORTO_SANDBOX_SMTP_PORT": str(free_port())},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so a failing test can still clean up the whole group
    )
    children: set[int] = set()
    try:
        assert wait_until(lambda: login_page_answers(f"http://127.0.0.1:{port}/login/"), 60), (
            tmp_path / "serve.log"
        ).read_text()
        children = descendants(serve.pid)
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children]
        assert any(b"-m\0gunicorn\0" in c for c in commands), commands
        assert not any(b"runserver" in c for c in commands), commands
        assert stylesheet_is_served(f"http://127.0.0.1:{port}/static/porto/porto.css")
        assert any(b"db_worker" in c for c in commands), commands
        assert any(b"mail_sweeper" in c for c in commands), commands
        assert any(b"sandbox_smtp" in c for c in commands), commands

        serve.send_signal(stop_signal)

        assert serve.wait(timeout=20) == 0
        assert wait_until(lambda: not any(alive(pid) for pid in children), 10), [
            pid for pid in children if alive(pid)
        ]
        output = (tmp_path / "serve.log").read_text()
        assert f"Porto runs at http://127.0.0.1:{port}/" in output
        assert "log in as demo / porto-demo" in output
        assert not login_page_answers(f"http://127.0.0.1:{port}/login/")
    finally:
        # Whatever is left of this test's own processes (their group is the serve pid).
        if serve.poll() is None or any(alive(pid) for pid in children):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(serve.pid, signal.SIGKILL)
        serve.wait()
        log.close()

"""`manage.py serve` as `make run` starts it (a temporary SQLite database, the sandbox on free
ports): a crashed child is started again, and SIGTERM stops everything within seconds, leaving
no child behind, also during a restart pause and right after a restart."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.mail.smtpd import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
STOPS_WITHIN = 10.0  # seconds: SIGTERM to every child stopped (children get 5 s, then SIGKILL)
CHILDREN = ("gunicorn", "db_worker", "mail_sweeper", "sandbox_smtp")

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="runs in the SQLite pass"
    ),
]


def environment(var: Path) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": f"sqlite:///{var / 'porto.sqlite3'}",
        "PORTO_VAR_DIR": str(var),
        "PORTO_MEDIA_ROOT": str(var / "media"),
        "PORTO_TASK_BACKEND": "db",
        "PORTO_MAIL_TRANSPORT": "sandbox",
        "PORTO_SANDBOX_SMTP_HOST": "127.0.0.1",
        "PORTO_SANDBOX_SMTP_PORT": str(free_port()),
        "PORTO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPOSITORY),
    }


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """Migrated once; each test works on its own copy."""
    var = tmp_path_factory.mktemp("serve-template")
    done = subprocess.run(
        [sys.executable, str(REPOSITORY / "manage.py"), "migrate", "--noinput"],
        env=environment(var),
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return var / "porto.sqlite3"


class Serve:
    """One `manage.py serve` in its own session, its output in files."""

    def __init__(self, var: Path) -> None:
        self.var = var
        self.port = free_port()
        self.stdout = (var / "serve.out").open("w")
        self.stderr_path = var / "serve.err"
        self.process = subprocess.Popen(
            [sys.executable, str(REPOSITORY / "manage.py"), "serve"],
            env=environment(var) | {"PORTO_ADDRESS": f"127.0.0.1:{self.port}"},
            cwd=REPOSITORY,
            stdout=self.stdout,
            stderr=self.stderr_path.open("w"),
            start_new_session=True,  # a signal to the test run never reaches it by accident
        )

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def children(self) -> dict[str, int]:
        """Its running children by kind ("mail_sweeper": pid)."""
        found = {}
        for pid in child_pids(self.process.pid):
            command = command_line(pid)
            for kind in CHILDREN:
                if kind in command:
                    found[kind] = pid
        return found

    def wait_until_running(self, timeout: float = 60) -> dict[str, int]:
        children = wait_for(lambda: len(self.children()) == len(CHILDREN), timeout)
        assert children, f"not every child started: {self.children()}\n{self.stderr}"
        wait_for(lambda: accepts_connections(self.port), timeout)
        return self.children()

    def terminate_and_wait(self) -> float:
        """SIGTERM; the seconds serve took to exit."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=STOPS_WITHIN)
        return time.monotonic() - sent

    def clean_up(self) -> None:
        """Stop what a test left running: serve (SIGTERM, then SIGKILL) and, should any
        survive, its children (each in its own process group, so killed by pid)."""
        children = list(self.children().values())
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOPS_WITHIN)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in children:
            if is_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.stdout.close()


def child_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_of(int(entry.name)) == parent:
            pids.append(int(entry.name))
    return pids


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[1])  # a zombie counts as gone


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_alive(pid: int) -> bool:
    return parent_of(pid) is not None


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    return None


@pytest.fixture
def serve(migrated_database, tmp_path):
    shutil.copy(migrated_database, tmp_path / "porto.sqlite3")
    running = Serve(tmp_path)
    yield running
    running.clean_up()


def kill_the_sweeper(serve: Serve, children: dict[str, int]) -> int:
    """SIGKILL the sweeper; the pid of the one serve starts instead."""
    os.kill(children["mail_sweeper"], signal.SIGKILL)
    new = wait_for(
        lambda: (pid := serve.children().get("mail_sweeper")) != children["mail_sweeper"] and pid,
        30,
    )
    assert new, f"the sweeper was not restarted:\n{serve.stderr}"
    return new


def assert_stopped_cleanly(serve: Serve, seconds: float, pids: list[int]) -> None:
    assert serve.process.returncode == 0, serve.stderr
    assert seconds < STOPS_WITHIN
    assert [pid for pid in pids if is_alive(pid)] == []
    assert serve.children() == {}
    assert "Traceback" not in serve.stderr


def test_a_killed_child_is_restarted_and_the_others_keep_running(serve):
    children = serve.wait_until_running()
    new_sweeper = kill_the_sweeper(serve, children)
    assert "mail_sweeper" in command_line(new_sweeper)
    assert "sweeper stopped (exit -9); restarting it in" in serve.stderr
    others = {kind: pid for kind, pid in children.items() if kind != "mail_sweeper"}
    assert {kind: serve.children()[kind] for kind in others} == others
    assert accepts_connections(serve.port)
    assert serve.process.poll() is None


def test_sigterm_stops_serve_and_every_child_within_a_few_seconds(serve):
    children = serve.wait_until_running()
    seconds = serve.terminate_and_wait()
    assert_stopped_cleanly(serve, seconds, list(children.values()))


def test_sigterm_right_after_a_restart_stops_everything(serve):
    children = serve.wait_until_running()
    new_sweeper = kill_the_sweeper(serve, children)
    seconds = serve.terminate_and_wait()  # the new sweeper is still importing Django
    assert_stopped_cleanly(serve, seconds, [*children.values(), new_sweeper])


def test_sigterm_during_a_restart_pause_stops_everything(serve):
    children = serve.wait_until_running()
    os.kill(children["mail_sweeper"], signal.SIGKILL)
    assert wait_for(lambda: "restarting it in" in serve.stderr, 10), serve.stderr
    seconds = serve.terminate_and_wait()
    assert_stopped_cleanly(serve, seconds, list(children.values()))

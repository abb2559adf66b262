"""`manage.py serve` in the production profile (PORTO_DEBUG=0): the static files are collected
first, hashed and compressed, and whitenoise serves them with a cache header of ten years;
the web child is gunicorn with its workers; pages answer; every line on stderr is JSON."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.mail.smtpd import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
TEN_YEARS = "max-age=315360000"

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs its own SQLite app; the SQLite pass runs it",
    ),
]


def production_environment(var: Path) -> dict[str, str]:
    return os.environ | {
        "PORTO_DEBUG": "0",
        "PORTO_SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789",
        "PORTO_FERNET_KEYS": "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMhISE=",
        "PORTO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTO_SSL_REDIRECT": "0",  # plain http on loopback: no TLS proxy in this test
        "DATABASE_URL": f"sqlite:///{var / 'porto.sqlite3'}",
        "PORTO_VAR_DIR": str(var),
        "PORTO_MEDIA_ROOT": str(var / "media"),
        "PORTO_TASK_BACKEND": "db",
        "PORTO_MAIL_TRANSPORT": "sandbox",
        "PORTO_SANDBOX_SMTP_PORT": str(free_port()),
        "PORTO_WEB_WORKERS": "2",
        "PORTO_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(REPOSITORY),
    }


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


class ProductionServe:
    def __init__(self, var: Path) -> None:
        self.var = var
        self.env = production_environment(var)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stderr_path = var / "serve.err"
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, str(REPOSITORY / "manage.py"), *args],
            env=self.env,
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPOSITORY / "manage.py"), "serve"],
            env=self.env | {"PORTO_ADDRESS": f"127.0.0.1:{self.port}"},
            cwd=REPOSITORY,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr_path.open("w"),
            start_new_session=True,
        )
        started = wait_until(lambda: answers(f"{self.base}/login/"), 120)
        assert started, self.stderr_path.read_text()[-3000:]

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    running = ProductionServe(tmp_path_factory.mktemp("production"))
    running.manage("migrate", "--noinput")
    running.start()
    yield running
    running.stop()


def hashed_name(production: ProductionServe, name: str) -> str:
    manifest = json.loads((production.var / "static" / "staticfiles.json").read_text())
    return manifest["paths"][name]


def test_serve_collects_the_static_files_hashed_before_it_starts(production):
    hashed = hashed_name(production, "porto/porto.css")
    assert hashed != "porto/porto.css" and hashed.startswith("porto/porto.")
    assert (production.var / "static" / hashed).read_bytes() == (
        REPOSITORY / "static" / "porto" / "porto.css"
    ).read_bytes()


def test_the_login_page_links_the_hashed_stylesheet(production):
    status, _, page = get(f"{production.base}/login/")
    assert status == 200
    assert f'href="/static/{hashed_name(production, "porto/porto.css")}"'.encode() in page


def test_a_hashed_static_file_is_cached_for_ten_years(production):
    status, headers, body = get(
        f"{production.base}/static/{hashed_name(production, 'porto/porto.css')}"
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert TEN_YEARS in headers["Cache-Control"] and "immutable" in headers["Cache-Control"]
    assert body == (REPOSITORY / "static" / "porto" / "porto.css").read_bytes()


def test_a_static_file_is_served_compressed_to_a_client_that_accepts_gzip(production):
    request = urllib.request.Request(
        f"{production.base}/static/{hashed_name(production, 'porto/porto.css')}",
        headers={"Accept-Encoding": "gzip"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Encoding"] == "gzip"


def test_the_web_child_is_gunicorn_with_its_workers(production):
    assert production.process is not None
    web = [
        pid
        for pid in children_of(production.process.pid)
        if b"-m\0gunicorn\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(web) == 1
    assert len(children_of(web[0])) == 2  # PORTO_WEB_WORKERS


def test_every_line_on_stderr_is_a_json_object_with_time_level_logger_message(production):
    lines = [line for line in production.stderr_path.read_text().splitlines() if line]
    assert lines, "gunicorn logs its start"
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records), lines
    assert any(r["logger"] == "gunicorn.error" and "Listening at" in r["message"] for r in records)


def children_of(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == parent:
            pids.append(int(entry.name))
    return pids

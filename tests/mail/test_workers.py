"""Real worker processes deliver a bulk send: with the database task backend on SQLite, on
PostgreSQL with two workers, and with RQ on Redis. The crash test kills the worker with SIGKILL
again and again: every email still ends sent or failed, none is lost, and the receiving server
sees at most one duplicate per kill."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.mail.smtpd import Rules, SmtpTestServer
from tests.services import REDIS_URL, require, require_redis

pytestmark = pytest.mark.processes

REPOSITORY = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("POSTGRES_TEST_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("PORTO_TEST_REDIS_URL", REDIS_URL.rsplit("/", 1)[0] + "/11")
FINAL = {"sent", "failed"}


def on_postgres_pass() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


class Run:
    """The processes of one scenario, all started here and all stopped here."""

    def __init__(self, tmp_path: Path, database_url: str, backend: str, server_port: int):
        self.env = os.environ | {
            "DATABASE_URL": database_url,
            "PORTO_TASK_BACKEND": backend,
            "REDIS_URL": TEST_REDIS_URL,
            "PORTO_VAR_DIR": str(tmp_path),
            "PORTO_MEDIA_ROOT": str(tmp_path / "media"),
            "PORTO_EINVOICE_RULES_DIR": str(tmp_path / "no-rules"),
            "PORTO_MAIL_TRANSPORT": "sandbox",
            "PORTO_SANDBOX_SMTP_HOST": "127.0.0.1",
            "PORTO_SANDBOX_SMTP_PORT": str(server_port),
            "PORTO_MAIL_LEASE": "10",
            "PORTO_MAIL_WAKE_AGAIN_AFTER": "10",
            "PORTO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPOSITORY),
        }
        self.backend = backend
        self.workers: list[subprocess.Popen] = []
        self.others: list[subprocess.Popen] = []

    def manage(self, *args: str) -> list[str]:
        return [sys.executable, str(REPOSITORY / "manage.py"), *args]

    def run(self, command: list[str]) -> str:
        done = subprocess.run(
            command, env=self.env, cwd=REPOSITORY, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def scenario(self, *args: str) -> dict:
        output = self.run([sys.executable, "-m", "tests.mail.scenario", *args])
        return json.loads(output.strip().splitlines()[-1])

    def start_worker(self) -> None:
        if self.backend == "rq":
            command = self.manage("rqworker", "--worker-class", "rq.worker.SimpleWorker", "default")
        else:
            command = self.manage(
                "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"
            )
        self.workers.append(self._start(command))

    def start_sweeper(self) -> None:
        self.others.append(self._start(self.manage("mail_sweeper", "--interval", "0.5")))

    def _start(self, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            command,
            env=self.env,
            cwd=REPOSITORY,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_a_worker(self) -> None:
        victim = random.choice([w for w in self.workers if w.poll() is None])
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.workers.remove(victim)
        self.start_worker()

    def stop(self) -> None:
        for process in self.workers + self.others:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()


def deliver_bulk(
    tmp_path: Path,
    database_url: str,
    *,
    backend: str = "db",
    workers: int = 1,
    count: int = 300,
    kills: int = 0,
) -> dict:
    server = SmtpTestServer(Rules())
    server.start()
    run = Run(tmp_path, database_url, backend, server.port_number)
    try:
        run.run(run.manage("migrate", "--noinput"))
        seeded = run.scenario("seed", str(count))
        assert seeded["queued"] == count
        for _ in range(workers):
            run.start_worker()
        run.start_sweeper()
        killed = kill_during_sending(run, server, count, kills)
        counts = wait_until_final(run, count)
    finally:
        run.stop()
        server.stop()
    ids = Counter(message.message_id for message in server.received)
    result = {
        "emails": count,
        "sent": counts["states"].get("sent", 0),
        "failed": counts["states"].get("failed", 0),
        "received_unique": len(ids),
        "duplicates": sum(n - 1 for n in ids.values()),
        "kills": killed,
        "interrupted_hand_offs": counts["interrupted"],
        "answers_recovered": counts["recovered"],
    }
    return result


def report(capsys, result: dict, label: str) -> None:
    with capsys.disabled():  # the counts show in every run, not only with -s
        print(f"\n{label}: {json.dumps(result)}")


def kill_during_sending(run: Run, server: SmtpTestServer, count: int, kills: int) -> int:
    killed = 0
    thresholds = [count * (k + 1) // (kills + 1) for k in range(kills)]
    deadline = time.monotonic() + 240
    for threshold in thresholds:
        while len(server.received) < threshold and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(random.uniform(0, 0.05))  # land in different phases of a hand-off
        run.kill_a_worker()
        killed += 1
    return killed


def wait_until_final(run: Run, count: int) -> dict:
    deadline = time.monotonic() + 300
    while True:
        counts = run.scenario("counts")
        final = sum(n for state, n in counts["states"].items() if state in FINAL)
        if final == count or time.monotonic() > deadline:
            return counts
        time.sleep(1)


def assert_none_lost(result: dict) -> None:
    assert result["sent"] == result["emails"]  # every address accepts: all end sent
    assert result["received_unique"] == result["emails"]  # none lost
    assert result["duplicates"] <= result["kills"]
    assert result["duplicates"] <= result["interrupted_hand_offs"]


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'porto.sqlite3'}"


@pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass")
def test_killing_the_worker_again_and_again_loses_nothing(tmp_path, capsys):
    result = deliver_bulk(tmp_path, sqlite_url(tmp_path), count=300, kills=5)
    report(capsys, result, "db backend on SQLite, 1 worker, SIGKILLed 5 times")
    assert result["kills"] == 5
    assert_none_lost(result)


@pytest.mark.postgres
def test_two_workers_on_postgresql_share_the_work_and_survive_kills(tmp_path, capsys):
    require("PostgreSQL", POSTGRES_URL, 5432)
    database = f"porto_workers_{uuid.uuid4().hex[:10]}"
    admin = urlparse(POSTGRES_URL)
    url = admin._replace(path=f"/{database}").geturl()
    psql(f'CREATE DATABASE "{database}"')
    try:
        result = deliver_bulk(tmp_path, url, workers=2, count=300, kills=3)
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report(capsys, result, "db backend on PostgreSQL, 2 workers, SIGKILLed 3 times")
    assert_none_lost(result)


def psql(statement: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


@pytest.mark.redis
@pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass")
def test_rq_workers_on_redis_deliver_the_bulk_send(tmp_path, capsys):
    require_redis()
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()  # the tests' own database number
    result = deliver_bulk(tmp_path, sqlite_url(tmp_path), backend="rq", count=200, kills=2)
    report(capsys, result, "RQ on Redis, 1 worker, SIGKILLed 2 times")
    assert_none_lost(result)


# --- Poison input: a webhook whose projection raises stops neither the worker nor the sweeper

POISON_MESSAGE_IDS = {
    "sqlite": ["\ud800"],  # a lone surrogate: no UTF-8 for it
    "postgresql": ["\ud800", "abc\x00def", "m" * 300],  # NUL, longer than the column
}
STORE_POISON = """
import datetime as dt, json
from pathlib import Path
from django.db import connection
from porto.mail.models import InboundWebhook
from porto.mail.tasks import process_webhook
rows = []
for message_id in json.loads({ids!r})[connection.vendor]:
    body = json.loads(Path("tests/mail/payloads/postmark/bounce_hard.json").read_text())
    body["MessageID"] = message_id
    for enqueued in (True, False):  # projected by the worker's task / by the sweeper
        row = InboundWebhook.objects.create(
            provider="postmark",
            headers={{"Content-Type": "application/json"}},
            body=json.dumps(body).encode(),
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        )
        if enqueued:
            process_webhook.enqueue(row.pk)
        rows.append(row.pk)
print(json.dumps(rows))
"""
POISON_STATE = """
import json
from porto.mail.models import InboundWebhook
print(json.dumps([[w.processed_at is not None, w.error] for w in InboundWebhook.objects.all()]))
"""


def last_json(output: str):
    return json.loads(output.strip().splitlines()[-1])  # after the shell's own notices


def poison_then_send(tmp_path: Path, database_url: str) -> None:
    server = SmtpTestServer(Rules())
    server.start()
    run = Run(tmp_path, database_url, "db", server.port_number)
    try:
        run.run(run.manage("migrate", "--noinput"))
        poison = last_json(
            run.run(
                run.manage("shell", "-c", STORE_POISON.format(ids=json.dumps(POISON_MESSAGE_IDS)))
            )
        )
        assert poison
        assert run.scenario("seed", "1")["queued"] == 1
        run.start_worker()
        run.start_sweeper()
        counts = wait_until_final(run, 1)
        states = last_json(run.run(run.manage("shell", "-c", POISON_STATE)))
        time.sleep(2)  # a round more of the sweeper and the worker's polling
        alive = [process.poll() is None for process in run.workers + run.others]
    finally:
        run.stop()
        server.stop()
    assert counts["states"] == {"sent": 1}
    assert len(server.received) == 1
    assert states and all(processed and error for processed, error in states), states
    assert alive == [True, True]  # the worker and the sweeper still run


@pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass")
def test_poison_webhooks_then_a_send_on_sqlite_the_send_goes_out_and_every_process_runs(
    tmp_path,
):
    poison_then_send(tmp_path, sqlite_url(tmp_path))


@pytest.mark.postgres
def test_poison_webhooks_then_a_send_on_postgresql_the_send_goes_out_and_every_process_runs(
    tmp_path,
):
    require("PostgreSQL", POSTGRES_URL, 5432)
    database = f"porto_poison_{uuid.uuid4().hex[:10]}"
    url = urlparse(POSTGRES_URL)._replace(path=f"/{database}").geturl()
    psql(f'CREATE DATABASE "{database}"')
    try:
        poison_then_send(tmp_path, url)
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

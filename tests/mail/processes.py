"""Real worker processes over a bulk send, for the crash, scale and fault tests: the processes
of one scenario (workers, sweeper), the counts of where the emails stand, and the databases
they run on."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.mail.smtpd import Rules, SmtpTestServer
from tests.services import REDIS_URL

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
            # A lease never shorter than one hand-off: 3 + 7 x 1 + 10 s.
            "PORTO_MAIL_SMTP_TIMEOUT": "1",
            "PORTO_MAIL_SMTP_DATA_TIMEOUT": "3",
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


def psql(statement: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]

"""Scale-out on one machine (issue 16): two RQ workers (`manage.py task_worker` with
PORTO_TASK_BACKEND=rq) and two schedulers (as on two machines) on a fresh PostgreSQL database
and a Redis database of their own deliver 1,000 documents of two companies, each through its
own SMTP server (two sinks in this process that note when each message arrived):

- every email arrives exactly once (Message-ID counts) and ends sent;
- the small company's invoice, sent while the large company's bulk send is under way, arrives
  within SMALL_INVOICE_BOUND seconds of its Send, ahead of the bulk's rest (fair sharing);
- each periodic job ran once per period, not twice, and no period was skipped;
- the large company's emails per minute holds at its server: no window of WINDOW seconds
  holds more than the rate's share of it plus the sending limits' burst. This last check needs
  the sending limits (porto.mail.limits): without them the bulk goes out as fast as it can.

It prints its figures: emails, seconds, the rate measured, the small invoice's delay and the
periodic runs."""

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.mail.processes import POSTGRES_URL, REPOSITORY, Run, psql, report
from tests.mail.smtpd import Received, Rules, SmtpTestServer
from tests.services import REDIS_URL, require, require_redis

pytestmark = [pytest.mark.processes, pytest.mark.postgres]

LARGE_COUNT = 999  # with the small company's invoice: 1,000 documents
LARGE_PER_MINUTE = 1200  # the large company's own server: about 50 s for its bulk send
BURST = LARGE_PER_MINUTE // 10  # what the sending limits let go at once: a tenth of the rate
WINDOW = 10.0  # seconds: the rate is checked over every window this long
SMALL_SENT_AFTER = 100  # the small company sends once this many of the bulk have arrived
SMALL_INVOICE_BOUND = 5.0  # seconds from the small company's Send to its server
SWEEP_INTERVAL = 2.0  # the schedulers' period (seconds): many periods in one run
POLL_INTERVAL = 4.0  # the status poll's period
SCALE_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/13"  # this test's own database number
DEADLINE = 600.0  # seconds for every email to end sent (give up then; a loaded machine is slow)

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's session log


class Sink:
    """An SMTP server that keeps every message and the wall-clock moment it arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []  # (time.time(), Message-ID)
        self.lock = threading.Lock()
        self.server = SmtpTestServer(Rules(on_stored=self.note))
        self.server.start()
        self.port = self.server.port_number

    def note(self, received: Received) -> None:
        at = time.time()
        with self.lock:
            self.arrivals.append((at, received.message_id))

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def stop(self) -> None:
        self.server.stop()


class ScaleRun(Run):
    """The processes of the run, their output kept in files for when something fails."""

    def __init__(self, tmp_path: Path, database_url: str, sink_port: int) -> None:
        super().__init__(tmp_path, database_url, "rq", sink_port)
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.probe = tmp_path / "periods.txt"
        self.env |= {
            "REDIS_URL": SCALE_REDIS_URL,
            "PORTO_SCALE_PROBE_FILE": str(self.probe),
            "PORTO_MAIL_SWEEP_INTERVAL": f"{SWEEP_INTERVAL:g}",
            "PORTO_REFRESH_POLL_INTERVAL": f"{POLL_INTERVAL:g}",
        }
        self.schedulers: list[subprocess.Popen] = []

    def start_logged(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        return subprocess.Popen(
            command, env=self.env, cwd=REPOSITORY, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the RQ worker's work-horses stop with it
        )  # fmt: skip

    def stop(self) -> None:
        for process in self.workers + self.others:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def start_task_worker(self, number: int) -> None:
        self.workers.append(self.start_logged(f"worker-{number}", self.manage("task_worker")))

    def start_scheduler(self, number: int) -> None:
        command = [sys.executable, "-m", "tests.scale.scheduler", f"{SWEEP_INTERVAL:g}"]
        self.schedulers.append(self.start_logged(f"scheduler-{number}", command))
        self.others.append(self.schedulers[-1])

    def scale(self, *args: str) -> dict:
        output = self.run([sys.executable, "-m", "tests.scale.scenario", *args])
        return json.loads(output.strip().splitlines()[-1])

    def sender(self, slug: str) -> subprocess.Popen:
        """A bulk send ready to go: Django loaded, waiting for the go on its input."""
        sender = subprocess.Popen(
            [sys.executable, "-m", "tests.scale.scenario", "send", slug],
            env=self.env, cwd=REPOSITORY, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        self.others.append(sender)  # stopped with the others if the test ends before its go
        return sender

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-2000:]}" for path in sorted(self.logs.iterdir())
        )


def go(sender: subprocess.Popen) -> dict:
    output, errors = sender.communicate("go\n", timeout=300)
    assert sender.returncode == 0, errors[-3000:]
    return json.loads(output.strip().splitlines()[-1])


def wait_until(condition, seconds: float, what: str, run: ScaleRun) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {seconds:g} s\n{run.log_tails()}")
        time.sleep(0.05)


def all_sent(run: ScaleRun, slugs: dict, total: int) -> dict:
    deadline = time.monotonic() + DEADLINE
    while True:
        counts = run.scale("counts")
        sent = sum(states.get("sent", 0) for states in counts["states"].values())
        if sent == total or time.monotonic() > deadline:
            return counts
        time.sleep(1)


def busiest_window(moments: list[float], window: float) -> int:
    """The most arrivals in any window of ``window`` seconds (sliding over every arrival)."""
    moments = sorted(moments)
    most, first = 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def periods_run(probe: Path) -> Counter[float]:
    """How many times each period of the probe job ran, across both schedulers."""
    lines = probe.read_text().split("\n") if probe.exists() else []
    return Counter(float(line.split()[0]) for line in lines if line)


def fresh_database() -> tuple[str, str]:
    name = f"porto_scale_{uuid.uuid4().hex[:10]}"
    psql(f'CREATE DATABASE "{name}"')
    return name, urlparse(POSTGRES_URL)._replace(path=f"/{name}").geturl()


def redis_flushed():
    import redis

    client = redis.Redis.from_url(SCALE_REDIS_URL)
    client.flushdb()
    return client


def test_two_rq_workers_deliver_1000_documents_once_each_fairly_at_the_rate(tmp_path, capsys):
    require("PostgreSQL", POSTGRES_URL, 5432)
    require_redis()
    queue_store = redis_flushed()
    database, url = fresh_database()
    large_sink, small_sink = Sink(), Sink()
    run = ScaleRun(tmp_path, url, large_sink.port)
    try:
        run.run(run.manage("migrate", "--noinput"))
        slugs = run.scale(
            "prepare", str(LARGE_COUNT), str(large_sink.port), str(LARGE_PER_MINUTE),
            str(small_sink.port),
        )  # fmt: skip
        large_sender, small_sender = run.sender(slugs["large"]), run.sender(slugs["small"])
        for number in (1, 2):
            run.start_task_worker(number)
            run.start_scheduler(number)
        large = go(large_sender)
        wait_until(lambda: large_sink.count() >= SMALL_SENT_AFTER, 60, "the bulk's start", run)
        small = go(small_sender)
        counts = all_sent(run, slugs, LARGE_COUNT + 1)
        for scheduler in run.schedulers:  # the periodic runs, counted with nothing running
            os.killpg(scheduler.pid, signal.SIGKILL)
            scheduler.wait()
        counts = run.scale("counts")
        logs = run.log_tails()
    finally:
        run.stop()
        large_sink.stop()
        small_sink.stop()
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        queue_store.flushdb()

    arrivals = large_sink.arrivals + small_sink.arrivals
    received = Counter(message_id for _, message_id in arrivals)
    large_moments = [at for at, _ in large_sink.arrivals]
    [(small_arrived, _)] = small_sink.arrivals or [(float("inf"), "")]
    periods = periods_run(run.probe)
    seconds = max(large_moments) - large["sent_at"]
    result = {
        "emails": LARGE_COUNT + 1,
        "received_unique": len(received),
        "duplicates": sum(n - 1 for n in received.values()),
        "states": counts["states"],
        "seconds": round(seconds, 1),
        "large_rate_per_minute_measured": round(len(large_moments) / seconds * 60),
        "large_rate_per_minute_configured": LARGE_PER_MINUTE,
        f"busiest_{WINDOW:g}s_window": busiest_window(large_moments, WINDOW),
        f"allowed_per_{WINDOW:g}s_window": allowed_per_window(),
        "small_invoice_delay_s": round(small_arrived - small["sent_at"], 2),
        "large_emails_after_the_small_invoice": sum(at > small_arrived for at in large_moments),
        "periods": len(periods),
        "periods_run_twice": sum(n > 1 for n in periods.values()),
        "periods_skipped": periods_skipped(periods),
        "periodic_runs": counts["periodic_runs"],
    }
    report(capsys, result, "2 RQ workers, 2 schedulers, PostgreSQL, 1,000 documents of 2 companies")

    # Every email exactly once, every email sent.
    assert large["queued"] == LARGE_COUNT and small["queued"] == 1
    assert result["received_unique"] == LARGE_COUNT + 1, logs
    assert result["duplicates"] == 0
    assert counts["states"] == {slugs["large"]: {"sent": LARGE_COUNT}, slugs["small"]: {"sent": 1}}
    # The small company's invoice is not starved by the bulk send under way.
    assert result["small_invoice_delay_s"] <= SMALL_INVOICE_BOUND, result
    assert result["large_emails_after_the_small_invoice"] > 0, "the bulk was over: test nothing"
    # Each periodic job once per period, none skipped, however many schedulers.
    assert result["periods"] >= 10
    assert result["periods_run_twice"] == 0, periods
    assert result["periods_skipped"] == 0, periods
    assert_jobs_ran_once_per_period(counts["periodic_runs"], len(periods))
    # The configured rate holds at the large company's server (needs porto.mail.limits).
    assert result[f"busiest_{WINDOW:g}s_window"] <= allowed_per_window(), result


def allowed_per_window() -> int:
    return int(LARGE_PER_MINUTE * WINDOW / 60) + BURST


def periods_skipped(periods: Counter[float]) -> int:
    if not periods:
        return 0
    span = round((max(periods) - min(periods)) / SWEEP_INTERVAL) + 1
    return span - len(periods)


def assert_jobs_ran_once_per_period(runs: dict[str, int], periods: int) -> None:
    """The real jobs claim like the probe: those of the same period ran as often as it did
    (give or take the round a scheduler was stopped in); the status poll, with a period twice
    as long, half as often; the daily purge once."""
    for name in ("outbox", "provider webhooks", "outbound webhooks"):
        assert abs(runs[name] - periods) <= 1, (name, runs[name], periods)
    ratio = POLL_INTERVAL / SWEEP_INTERVAL
    assert abs(runs["refresh poll"] - periods / ratio) <= 1, (runs["refresh poll"], periods)
    assert runs["API idempotency keys purge"] == 1

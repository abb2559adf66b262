"""Crash safety: the worker is killed with SIGKILL at each point of a hand-off, over two bulk
sends, and started again each time. Every email must end in a final state, none may be lost,
and the receiving server may see a duplicate only for a kill after it kept the message (the
only window the outbox cannot close: docs/outbox.md). The web process killed in the middle of a
bulk-send request queues all of the batch or none of it. Each test prints its counts."""

import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.mail.processes import REPOSITORY, Run, on_postgres_pass, report, sqlite_url
from tests.mail.smtpd import Rules, SmtpTestServer, free_port

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass"),
]

# Where a kill lands. "before_claim": while the worker starts; "after_claim": it has claimed
# and composed an email and is talking to the server (MAIL FROM); "mid_send": at DATA, before
# the content; "after_kept": the server has kept the message, its 250 racing the kill.
POINTS = ("before_claim", "after_claim", "mid_send", "after_kept")
KILLS_PER_POINT = 2
PER_BULK_SEND = 80
SPACING = 8  # messages kept between two kills


class KillPlan:
    """The kills still to do, in order, each armed once SPACING more messages were kept."""

    def __init__(self, run: Run, server_received: list) -> None:
        self.run = run
        self.received = server_received
        # Kills while a worker starts come first: they need no message to arm them, and a
        # batch goes out so fast that the messages could all be sent before their turn.
        during = [point for _ in range(KILLS_PER_POINT) for point in POINTS[1:]]
        random.shuffle(during)
        self.pending = [POINTS[0]] * KILLS_PER_POINT + during
        self.done: Counter[str] = Counter()
        self.armed_at = SPACING
        self.lock = threading.Lock()

    def due(self, point: str) -> bool:
        if not self.pending or self.pending[0] != point:
            return False
        return point == "before_claim" or len(self.received) >= self.armed_at

    def at(self, point: str) -> None:
        """Called by the server (its thread) at a point: kill the worker if it is due here."""
        with self.lock:
            if not self.due(point):
                return
            self.pending.pop(0)
            self.done[point] += 1
            self.armed_at = len(self.received) + SPACING
            for worker in self.run.workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGKILL)

    def kill_while_starting(self) -> None:
        """The "before_claim" kills, before the sending starts (once it runs, a batch goes out
        so fast that no kill at a later point could be armed in time): a worker is started
        and killed while Django is still loading, before it can claim anything."""
        while self.due("before_claim"):
            self.run.start_worker()
            starting = self.run.workers.pop()
            time.sleep(random.uniform(0.05, 0.3))
            starting.send_signal(signal.SIGKILL)
            starting.wait()
            self.pending.pop(0)
            self.done["before_claim"] += 1

    def keep_a_worker_running(self) -> None:
        """The main loop: start a worker again after a kill."""
        with self.lock:
            alive = [w for w in self.run.workers if w.poll() is None]
            self.run.workers[:] = alive
            if not alive:
                self.run.start_worker()


def test_a_worker_killed_at_every_point_of_a_hand_off_loses_nothing(tmp_path, capsys):
    rules = Rules()
    server = SmtpTestServer(rules)
    server.start()
    run = Run(tmp_path, sqlite_url(tmp_path), "db", server.port_number)
    plan = KillPlan(run, server.received)
    rules.on_mail = lambda: plan.at("after_claim")
    rules.on_data_command = lambda: plan.at("mid_send")
    rules.on_stored = lambda received: threading.Thread(
        target=plan.at, args=("after_kept",)
    ).start()
    total = 2 * PER_BULK_SEND
    try:
        run.run(run.manage("migrate", "--noinput"))
        run.scenario("seed", str(PER_BULK_SEND), "Acme BV")
        run.scenario("seed", str(PER_BULK_SEND), "Brouwerij Het Anker NV")
        plan.kill_while_starting()
        run.start_worker()
        run.start_sweeper()
        counts = run_until_final(run, plan, total)
    finally:
        run.stop()
        server.stop()
    ids = Counter(message.message_id for message in server.received)
    result = {
        "emails": total,
        "final": sum(counts["states"].get(s, 0) for s in ("sent", "failed")),
        "sent": counts["states"].get("sent", 0),
        "received_unique": len(ids),
        "duplicates": sum(n - 1 for n in ids.values()),
        "kills": dict(plan.done),
        "interrupted_hand_offs": counts["interrupted"],
    }
    report(capsys, result, "worker SIGKILLed at each point of a hand-off, 2 bulk sends")
    assert plan.pending == []  # every planned kill happened
    assert result["sent"] == total  # every address accepts: all end sent
    assert result["received_unique"] == total  # none lost
    assert result["duplicates"] <= plan.done["after_kept"]


def run_until_final(run: Run, plan: KillPlan, total: int) -> dict:
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        plan.keep_a_worker_running()
        counts = run.scenario("counts")
        final = sum(counts["states"].get(s, 0) for s in ("sent", "failed"))
        if final == total and not plan.pending:
            return counts
        time.sleep(0.5)
    raise AssertionError(f"not final in time: {counts}, kills left {plan.pending}")


# --- The web process killed during a bulk-send request -------------------------------------


class WebServer:
    """gunicorn serving Porto on the run's database."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "porto.wsgi", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "1", "--timeout", "120",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=self.run.env, cwd=REPOSITORY,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url("/login/"), timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def kill(self) -> None:
        """SIGKILL gunicorn and its worker: the request dies wherever it is."""
        assert self.process is not None
        subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
        self.process.kill()
        self.process.wait()


def logged_in(web: WebServer, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(web.url("/login/"), timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    answer = session.post(
        web.url("/login/"),
        data={"username": username, "password": "s3cret-pass!", "csrfmiddlewaretoken": token[1]},
        headers={"Referer": web.url("/login/")},
        timeout=10,
    )
    assert answer.ok and "/login/" not in answer.url, "login failed"
    return session


def post_bulk_send_and_kill(
    web: WebServer, session: requests.Session, ids: list[int], after: float
):
    """Post the bulk send; kill the web process ``after`` seconds into the request."""
    killer = threading.Timer(after, web.kill)
    killer.start()
    try:
        session.post(
            web.url("/documents/bulk/send/"),
            data={"documents": ids, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": web.url("/documents/")},
            timeout=60,
        )
        answered = True
    except requests.RequestException:
        answered = False
    killer.join()
    return answered


def test_the_web_process_killed_during_a_bulk_send_request_queues_all_or_none(
    tmp_path: Path, capsys
):
    run = Run(tmp_path, sqlite_url(tmp_path), "db", free_port())
    outcomes = []
    run.run(run.manage("migrate", "--noinput"))
    made = run.scenario("documents", "400", "Acme BV")
    for after in (0.1, 0.6, 1.5):  # a kill early, during and late in the request
        web = WebServer(run)
        web.start()
        session = logged_in(web, made["username"])
        before = run.scenario("counts")
        answered = post_bulk_send_and_kill(web, session, made["documents"], after)
        counts = run.scenario("counts")
        queued = sum(counts["states"].values()) - sum(before["states"].values())
        outcomes.append({"kill_after_s": after, "answered": answered, "queued": queued})
    report(capsys, {"requests": outcomes}, "web process SIGKILLed during a bulk send of 400")
    for outcome in outcomes:
        assert outcome["queued"] in (0, 400), outcome
    assert any(o["queued"] == 0 for o in outcomes), "no kill landed inside a request"

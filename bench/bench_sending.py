"""The send pipeline at machine speed, against its floor measured in the same run.

- ``bulk_send.ratio_to_floor``: 500 pre-rendered invoices go through the whole pipeline (the
  bulk send request writes the rows and enqueues the wake-up tasks, a real ``manage.py
  db_worker`` process claims, composes, hands off over SMTP and records the answers) to an SMTP
  sink; the floor is a plain smtplib loop sending the same prebuilt messages over one
  connection to the same sink. The ratio is pipeline emails/s over floor emails/s, per run.
- ``bulk_send_postgres.ratio_to_floor``: the same on PostgreSQL with two workers, in a fresh
  database this module creates and drops (run in a child process: the harness's Django is on
  SQLite).
- ``bulk_enqueue.seconds``: one bulk-send POST of the web view (Django test client, DEBUG off)
  for 1,000 finalized documents.
- ``memory.worker_peak_mb``: the worker's peak resident memory (VmHWM) after each run.

The sink runs in a process of its own, so the worker and the floor's loop both talk to it
from another process: neither shares an interpreter lock with the server.
"""

import json
import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path

from bench import Result, result_of

EMAILS_PER_RUN = 500
ENQUEUE_DOCUMENTS = 1000
REPOSITORY = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN_URL = os.environ.get(
    "PORTO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
WORKER_ENV = {
    "PORTO_DEBUG": "false",
    "PORTO_SECRET_KEY": "bench-only-secret-key",
    "PORTO_MAIL_TRANSPORT": "sandbox",
    "PORTO_SANDBOX_ENABLED": "0",
    "PORTO_LOG_LEVEL": "WARNING",
}


# --- The SMTP sink, in its own process ------------------------------------------------------


def sink_serve(port: int) -> None:
    """Accept every message, keep nothing; runs until stdin closes."""
    import logging

    from aiosmtpd.controller import Controller

    class Accept:
        async def handle_DATA(self, server, session, envelope) -> str:
            return "250 OK"

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


class Sink:
    def __init__(self) -> None:
        from bench.data import free_port

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_sending", "sink", str(self.port)],
            cwd=REPOSITORY,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


# --- Workers ----------------------------------------------------------------------------------


class Workers:
    """Real ``db_worker`` processes on the database of this process, sending to ``port``."""

    def __init__(self, count: int, port: int) -> None:
        env = os.environ | WORKER_ENV | {"PORTO_SANDBOX_SMTP_PORT": str(port)}
        command = [
            sys.executable,
            str(REPOSITORY / "manage.py"),
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.05",
        ]
        self.processes = [
            subprocess.Popen(command, cwd=REPOSITORY, env=env, stderr=subprocess.DEVNULL)
            for _ in range(count)
        ]

    def peak_mb(self) -> float:
        """The largest peak resident memory (VmHWM) among the workers, in MB."""
        return max(vm_hwm_kb(p.pid) for p in self.processes) / 1024

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# --- One run -----------------------------------------------------------------------------------


def seed(count: int, slug: str) -> list[int]:
    from bench.data import company_new, finalized_in_bulk, small_pdf
    from porto.documents.models import RenderedFile
    from porto.documents.rendering.files import rendered_file_store

    company = company_new("Bench Mail BV", slug=slug, email=f"office@{slug}.example")
    documents = finalized_in_bulk(company, count)
    for document in documents:
        rendered_file_store(document, RenderedFile.Format.PDF, small_pdf(document.number))
    return [d.pk for d in documents]


def enqueue(company, document_ids: list[int]) -> int:
    """What the bulk page does: the rows, and their wake-up tasks enqueued on commit."""
    from django.db import transaction

    from porto.mail.requests import bulk_send
    from porto.mail.tasks import wake_on_commit

    with transaction.atomic():
        job = bulk_send(company, document_ids)
        wake_on_commit(list(job.emails.values_list("pk", flat=True)))
    return job.pk


def wait_sent(job_id: int, count: int, timeout: float = 300) -> None:
    from porto.mail.models import OutgoingEmail

    emails = OutgoingEmail.objects.filter(bulk_job_id=job_id)
    deadline = time.monotonic() + timeout
    while emails.filter(state=OutgoingEmail.State.SENT).count() < count:
        if time.monotonic() > deadline:
            states = list(emails.values_list("state", flat=True))
            raise RuntimeError(f"Not all sent after {timeout} s: {states[:20]}")
        time.sleep(0.01)


def prebuilt_messages(job_id: int) -> list[tuple[str, list[str], bytes]]:
    """The messages of a run's emails, composed once: what the floor sends."""
    from porto.mail.compose import as_bytes, compose
    from porto.mail.models import OutgoingEmail

    emails = OutgoingEmail.objects.filter(bulk_job_id=job_id).prefetch_related("recipients")
    return [
        (e.from_address, [r.address for r in e.recipients.all()], as_bytes(compose(e)))
        for e in emails
    ]


def floor(port: int, messages) -> None:
    with smtplib.SMTP("127.0.0.1", port) as session:
        for sender, recipients, data in messages:
            session.sendmail(sender, recipients, data)


def sending_figures(runs: int, workers: int, slug: str) -> dict[str, list[float]]:
    """Per run: the pipeline's and the floor's emails/s, their ratio and the workers' peak
    memory. The pipeline is timed from the bulk request to the last email recorded sent."""
    from django.test.utils import override_settings

    from porto.accounts.models import Company

    document_ids = seed(EMAILS_PER_RUN, slug)
    company = Company.objects.get(slug=slug)
    sink = Sink()
    pool = Workers(workers, sink.port)
    figures: dict[str, list[float]] = {"pipeline": [], "floor": [], "ratio": [], "peak_mb": []}
    try:
        with override_settings(
            DEBUG=False, PORTO_MAIL_TRANSPORT="sandbox", PORTO_SANDBOX_SMTP_PORT=sink.port
        ):
            for run in range(runs + 1):  # the first run warms the workers up
                started = time.perf_counter()
                job_id = enqueue(company, document_ids)
                wait_sent(job_id, EMAILS_PER_RUN)
                pipeline = EMAILS_PER_RUN / (time.perf_counter() - started)
                messages = prebuilt_messages(job_id)
                started = time.perf_counter()
                floor(sink.port, messages)
                plain = len(messages) / (time.perf_counter() - started)
                if run:
                    figures["pipeline"].append(round(pipeline, 1))
                    figures["floor"].append(round(plain, 1))
                    figures["ratio"].append(round(pipeline / plain, 3))
                    figures["peak_mb"].append(round(pool.peak_mb(), 1))
    finally:
        pool.stop()
        sink.stop()
    return figures


def sending_result(name: str, key: str, figures: dict[str, list[float]], workers: int) -> Result:
    seconds = [EMAILS_PER_RUN / rate * 1000 for rate in figures["pipeline"]]
    result = timings_result(name, seconds)
    result.notes = {
        "emails_per_run": EMAILS_PER_RUN,
        "workers": workers,
        "pipeline_emails_per_s": median(figures["pipeline"]),
        "floor_emails_per_s": median(figures["floor"]),
        "ratio_to_floor": median(figures["ratio"]),
        "worker_peak_mb": median(figures["peak_mb"]),
    }
    result.figures = {f"{key}.ratio_to_floor": figures["ratio"]}
    return result


def timings_result(name: str, timings_ms: list[float]) -> Result:
    return result_of(name, timings_ms)


def median(values: list[float]) -> float:
    import statistics

    return round(statistics.median(values), 3)


# --- PostgreSQL, in a child process --------------------------------------------------------


def postgres_figures(runs: int) -> dict[str, list[float]]:
    from bench import postgres

    return postgres.child_figures("bench.bench_sending", runs, timeout=1800)


def postgres_child(runs: int) -> None:
    """A fresh database, Django on it, the sending figures with two workers, dropped again."""
    import tempfile
    import uuid
    from urllib.parse import urlparse

    import psycopg

    database = f"porto_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
    try:
        with tempfile.TemporaryDirectory(prefix="porto-bench-pg-") as workdir:
            os.environ["DATABASE_URL"] = (
                urlparse(POSTGRES_ADMIN_URL)._replace(path=f"/{database}").geturl()
            )
            os.environ["PORTO_VAR_DIR"] = workdir
            os.environ["PORTO_MEDIA_ROOT"] = str(Path(workdir) / "media")
            figures = django_run(lambda: sending_figures(runs, 2, "bench-mail-pg"))
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')  # type: ignore[arg-type]
    print(json.dumps(figures))


def django_run(action):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porto.settings")
    sys.path.insert(0, str(REPOSITORY))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    try:
        return action()
    finally:
        from django.db import connections

        connections.close_all()


# --- The bulk request --------------------------------------------------------------------------


def bulk_enqueue(runs: int) -> Result:
    """One POST of the bulk send page for 1,000 finalized documents, DEBUG off."""
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from bench.data import company_new, finalized_in_bulk, user_new

    company = company_new("Bench Bulk BV", slug="bench-bulk-bv", email="office@bulk.example")
    user = user_new(company, username="bench-bulk")
    ids = [d.pk for d in finalized_in_bulk(company, ENQUEUE_DOCUMENTS, clients=40)]
    client = Client()
    client.force_login(user)
    url = reverse("bulk_start")
    data = {"documents": [str(i) for i in ids]}

    def post() -> float:
        started = time.perf_counter()
        response = client.post(url, data, HTTP_HOST="localhost")
        seconds = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        return seconds

    with override_settings(DEBUG=False, PORTO_MAIL_TRANSPORT="sandbox"):
        post()  # warm-up
        seconds = [post() for _ in range(runs)]
    result = timings_result("bulk_enqueue_1000_documents", [s * 1000 for s in seconds])
    result.figures = {"bulk_enqueue.seconds": [round(s, 3) for s in seconds]}
    result.notes = {"documents": ENQUEUE_DOCUMENTS}
    return result


def run(runs: int = 20) -> list[Result]:
    sqlite = sending_figures(runs, 1, "bench-mail-bv")
    sending = sending_result("bulk_send_sqlite_1_worker", "bulk_send", sqlite, 1)
    sending.figures["memory.worker_peak_mb"] = sqlite["peak_mb"]
    postgres = postgres_figures(runs)
    on_postgres = sending_result("bulk_send_postgres_2_workers", "bulk_send_postgres", postgres, 2)
    return [sending, on_postgres, bulk_enqueue(runs)]


if __name__ == "__main__":
    if sys.argv[1] == "sink":
        sink_serve(int(sys.argv[2]))
    elif sys.argv[1] == "postgres":
        postgres_child(int(sys.argv[2]))

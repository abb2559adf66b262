"""The tracking endpoints on the production server, and the projection of webhook events.

**Endpoints.** gunicorn serves ``porto.wsgi`` with ``PORTO_DEBUG=0`` and a secret key (the
product's settings plus a URLconf adding a bare view that answers 204: the floor of a request
through the same server, middleware and processes). In each run, concurrent clients (threads,
each on its own kept-alive connection) send ``REQUESTS`` requests of each kind, one kind after
the other: the bare view, Postmark webhook posts (basic auth, each about its own email), and
loads of a genuine pixel. Figures: requests per second of each kind divided by the bare view's
in the same run. The server runs twice: on a fresh PostgreSQL database at
PORTO_BENCH_POSTGRES_URL's server (``bench/postgres.py``; a real deployment's database), giving
``webhook.ratio_to_bare`` and ``pixel.ratio_to_bare``, and on the benchmark's SQLite file (WAL),
giving ``webhook_sqlite.ratio_to_bare`` and ``pixel_sqlite.ratio_to_bare`` (reported). When no
PostgreSQL server answers, the PostgreSQL keys stay "not measured" (never measured on SQLite
instead).

**Projection.** Stored webhook requests in Postmark's documented shapes (deliveries, opens,
soft and hard bounces about their own emails), one wake-up task, and one database worker
(``db_worker --batch``, in this process) that projects them into statuses: events recorded
per second of the worker's run (``events.projection_per_s``). The pixel loads' wake-ups are
held back meanwhile and their projection is not measured."""

import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import Result

REQUESTS = 2000  # of each kind, per run
ENDPOINT_RUNS = 5  # at most, per database (the module's time: see run())
CLIENTS = 8  # concurrent client threads
PROJECTED_PER_RUN = 2000  # stored webhook requests per projection run
# gunicorn imports Django and the app first: on a busy shared machine that takes long.
SERVER_START_SECONDS = 120
BASIC = "bench:webhook-secret"
WEBHOOK_URL_SECRET = "bench-webhook-url-secret"
REPOSITORY = Path(__file__).resolve().parent.parent
# gunicorn's options besides the bind and the workers (one per CPU); BENCH_GUNICORN replaces
# them to compare worker classes ("--worker-class sync").
GUNICORN = os.environ.get(
    "BENCH_GUNICORN", "--worker-class gthread --threads 4 --keep-alive 5"
).split()
THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.4.0"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.tracking_settings",
        PORTO_DEBUG="0",
        PORTO_SECRET_KEY="bench-secret-key-" + "x" * 40,
        PORTO_ALLOWED_HOSTS="127.0.0.1",
        ANYMAIL_WEBHOOK_SECRET=BASIC,
        PORTO_MAIL_TRANSPORT="provider",
        PORTO_ANYMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        PORTO_WEBHOOK_SECRET=WEBHOOK_URL_SECRET,
        PORTO_SANDBOX_ENABLED="0",
    )
    return env


def server_start(port: int) -> subprocess.Popen:
    bind = ["--bind", f"127.0.0.1:{port}", "--workers", str(os.cpu_count() or 2)]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "porto.wsgi", *bind, *GUNICORN],
        cwd=REPOSITORY,
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            if one_request(port, ("GET", "/bench/bare/", b"", {})) == 204:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"The benchmark server did not start within {SERVER_START_SECONDS} s.")


Call = tuple[str, str, bytes, dict]


def one_request(port: int, call: Call) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        return _send(connection, call)
    finally:
        connection.close()


def _send(connection: http.client.HTTPConnection, call: Call) -> int:
    method, path, body, headers = call
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def per_second(port: int, calls: list[Call], expect: int) -> float:
    """Requests per second of ``calls`` sent by CLIENTS threads, each on one connection."""
    failures: list[str] = []

    def client(share: list[Call]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for call in share:
                status = _send(connection, call)
                if status != expect:
                    failures.append(f"{call[0]} {call[1]} answered {status}, expected {expect}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(calls[i::CLIENTS],)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return len(calls) / elapsed


def webhook_calls(sent: list[tuple[str, str]]) -> list[Call]:
    from bench.tracking_data import postmark_body

    headers = {
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(BASIC.encode()).decode(),
    }
    path = postmark_webhook_path()
    return [
        ("POST", path, postmark_body("delivery", message_id, address, 4, 0), headers)
        for message_id, address in sent
    ]


def postmark_webhook_path() -> str:
    """The server's Postmark webhook URL (its token comes from WEBHOOK_URL_SECRET)."""
    from django.test import override_settings

    from porto.mail.feedback.webhook_gate import webhook_path

    with override_settings(PORTO_WEBHOOK_SECRET=WEBHOOK_URL_SECRET):
        return webhook_path("postmark")


def pixel_path(company) -> str:
    from django.test import override_settings

    from bench.tracking_data import emails_sent
    from porto.mail.feedback.pixel import pixel_token
    from porto.mail.models import Recipient

    [(message_id, _)] = emails_sent(company, 1)
    recipient = Recipient.objects.get(provider_message_id=message_id)
    with override_settings(SECRET_KEY=server_env()["PORTO_SECRET_KEY"]):  # the server's key
        return f"/t/{pixel_token(recipient.pk, recipient.pixel_key)}.gif"


def summary(name: str, values: list[float], unit: str, **notes) -> Result:
    ordered = sorted(values)
    return Result(
        name=name,
        median_ms=0,
        runs=len(values),
        min_ms=0,
        p90_ms=0,
        max_ms=0,
        notes={
            f"median_{unit}": round(statistics.median(ordered), 3),
            f"min_{unit}": round(ordered[0], 3),
            f"max_{unit}": round(ordered[-1], 3),
            **notes,
        },
    )


def endpoint_rates(company, runs: int) -> dict[str, list[float]]:
    """Requests per second of each kind, per run, on a server on this process's database."""
    from bench.tracking_data import emails_sent

    port = free_port()
    pixel = [("GET", pixel_path(company), b"", {"User-Agent": THUNDERBIRD})] * REQUESTS
    bare = [("GET", "/bench/bare/", b"", {})] * REQUESTS
    webhooks = [webhook_calls(emails_sent(company, REQUESTS)) for _ in range(runs + 1)]
    rates: dict[str, list[float]] = {"bare": [], "webhook": [], "pixel": []}
    server = server_start(port)
    try:
        per_second(port, bare[:200], 204)  # warm-up: every worker and thread has served
        per_second(port, webhooks[0][:200], 200)
        per_second(port, pixel[:200], 200)
        for run in range(runs):
            rates["bare"].append(per_second(port, bare, 204))
            rates["webhook"].append(per_second(port, webhooks[run + 1], 200))
            rates["pixel"].append(per_second(port, pixel, 200))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rates


def endpoint_results(rates: dict[str, list[float]], database: str, keys: str = "") -> list[Result]:
    """The results of one database's runs; ``keys`` is the figures' suffix ("" for the
    production database, PostgreSQL; "_sqlite")."""
    setup = {
        "server": "gunicorn " + " ".join(GUNICORN),
        "clients": CLIENTS,
        "requests": REQUESTS,
        "database": database,
    }
    webhook = [w / b for w, b in zip(rates["webhook"], rates["bare"], strict=True)]
    pixel_ratio = [p / b for p, b in zip(rates["pixel"], rates["bare"], strict=True)]
    results = [
        summary(f"bare_204_view_{database}", rates["bare"], "per_s", **setup),
        summary(
            f"webhook_postmark_{database}",
            rates["webhook"],
            "per_s",
            ratio=round(median(webhook), 3),
        ),
        summary(f"pixel_{database}", rates["pixel"], "per_s", ratio=round(median(pixel_ratio), 3)),
    ]
    results[1].figures[f"webhook{keys}.ratio_to_bare"] = [round(r, 3) for r in webhook]
    results[2].figures[f"pixel{keys}.ratio_to_bare"] = [round(r, 3) for r in pixel_ratio]
    return results


def endpoints_postgres(runs: int) -> list[Result]:
    """The endpoints with the server on a fresh PostgreSQL database (a child process: this
    one's Django is on SQLite). No server at PORTO_BENCH_POSTGRES_URL: the keys stay "not
    measured", said in the result's notes."""
    from bench import postgres

    if not postgres.reachable():
        why = f"not measured: no PostgreSQL server answers at {postgres.ADMIN_URL}"
        return [Result("endpoints_postgresql", 0, 0, 0, 0, 0, notes={"postgresql": why})]
    figures = postgres.child_figures("bench.bench_tracking", runs, timeout=1200)
    return endpoint_results(figures, "postgresql")


def postgres_child(runs: int) -> None:
    """In a child process: Django on a fresh PostgreSQL database, the endpoints' rates on a
    server using it, printed as JSON; the database dropped again."""
    import tempfile

    from bench import postgres

    with postgres.fresh_database() as url, tempfile.TemporaryDirectory() as workdir:
        os.environ["DATABASE_URL"] = url  # this process's and the server's
        os.environ["PORTO_VAR_DIR"] = workdir
        os.environ["PORTO_MEDIA_ROOT"] = str(Path(workdir) / "media")
        import django
        from django.core.management import call_command
        from django.db import connections

        django.setup()
        call_command("migrate", verbosity=0)
        try:
            from bench.tracking_data import bench_company

            rates = endpoint_rates(bench_company(), runs)
        finally:
            connections.close_all()
    print(json.dumps(rates))


def median(values: list[float]) -> float:
    return statistics.median(values)


def worker_run() -> float:
    """Seconds one database worker takes to run every task that is due."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    return time.perf_counter() - started


def pixel_tasks_set_aside() -> int:
    """Hold the pixel loads' wake-ups back (run_after far ahead): the projection's worker runs
    only the webhooks' projection. The loads' own projection is not measured here."""
    import datetime as dt

    from django_tasks_db.models import DBTaskResult

    later = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    return DBTaskResult.objects.filter(task_path__endswith="project_pixel_loads").update(
        run_after=later
    )


def projection(company, runs: int) -> list[Result]:
    from bench.tracking_data import emails_sent, event_mix, webhooks_stored
    from porto.mail.models import DeliveryEvent, InboundWebhook
    from porto.mail.tasks import process_webhook

    pixel_tasks = pixel_tasks_set_aside()
    worker_run()  # warm-up: what the endpoints' run stored
    rates: list[float] = []
    for _ in range(runs):
        bodies = event_mix(emails_sent(company, PROJECTED_PER_RUN * 10 // 13))
        webhooks_stored(bodies)
        process_webhook.enqueue()  # the view's wake-up
        before = DeliveryEvent.objects.exclude(recipient=None).count()
        elapsed = worker_run()
        recorded = DeliveryEvent.objects.exclude(recipient=None).count() - before
        if InboundWebhook.objects.filter(processed_at=None).exists() or recorded < len(bodies):
            raise RuntimeError(f"The worker recorded {recorded} of {len(bodies)} events.")
        rates.append(recorded / elapsed)
    result = summary(
        "webhook_projection_worker",
        rates,
        "events_per_s",
        events_per_run=len(bodies),
        pixel_tasks_set_aside=pixel_tasks,
    )
    result.figures["events.projection_per_s"] = [round(rate, 1) for rate in rates]
    return [result]


def run(runs: int = 20) -> list[Result]:
    from bench.tracking_data import bench_company

    company = bench_company()
    rounds = max(3, min(runs, ENDPOINT_RUNS))  # each run sends 3 x REQUESTS requests
    on_sqlite = endpoint_results(endpoint_rates(company, rounds), "sqlite", "_sqlite")
    return endpoints_postgres(rounds) + on_sqlite + projection(company, max(3, min(runs, 7)))


if __name__ == "__main__":
    if sys.argv[1] == "postgres":
        postgres_child(int(sys.argv[2]))

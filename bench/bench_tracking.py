"""Webhook ingestion and pixel requests over HTTP on loopback, against a real server process
(``manage.py runserver --noreload``, the product's settings plus a bare view), each compared
with a bare Django view answering 204 on the same server in the same run.

Requests are sequential, one connection each, a bounded number per kind. Webhooks are Postmark
delivery events (basic auth, each with its own message id); the pixel is a genuine token of a
stored recipient. Both answer before any projection: the projection of what was queued is timed
after the HTTP part (the database worker, in this process)."""

import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import Result

REQUESTS = 300
WARMUP = 20
BASIC = "bench:webhook-secret"
WEBHOOK_URL_SECRET = "bench-webhook-url-secret"
REPOSITORY = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(port: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.tracking_settings",
        ANYMAIL_WEBHOOK_SECRET=BASIC,
        PORTO_MAIL_TRANSPORT="provider",
        PORTO_ANYMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        PORTO_WEBHOOK_SECRET=WEBHOOK_URL_SECRET,
        PORTO_SANDBOX_ENABLED="0",
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/bench/bare/")[0] == 204:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("The benchmark server did not start within 30 s.")


def request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, response
    finally:
        connection.close()


def timed(port: int, calls: list[tuple[str, str, bytes, dict]], expect: int) -> list[float]:
    latencies = []
    for method, path, body, headers in calls:
        started = time.perf_counter()
        status, _ = request(port, method, path, body, headers)
        latencies.append((time.perf_counter() - started) * 1000)
        if status != expect:
            raise RuntimeError(f"{method} {path} answered {status}, expected {expect}.")
    return latencies


def webhook_calls(count: int, start: int = 0) -> list[tuple[str, str, bytes, dict]]:
    template = json.loads((REPOSITORY / "tests/mail/payloads/postmark/delivery.json").read_bytes())
    headers = {
        "Content-Type": "application/json",
        "Authorization": "Basic " + base64.b64encode(BASIC.encode()).decode(),
    }
    calls = []
    path = postmark_webhook_path()
    for number in range(start, start + count):
        template["MessageID"] = f"bench-{number:06d}"
        calls.append(("POST", path, json.dumps(template).encode(), headers))
    return calls


def postmark_webhook_path() -> str:
    """The server's Postmark webhook URL (its token comes from WEBHOOK_URL_SECRET)."""
    from django.test import override_settings

    from porto.mail.feedback.webhook_gate import webhook_path

    with override_settings(PORTO_WEBHOOK_SECRET=WEBHOOK_URL_SECRET):
        return webhook_path("postmark")


def pixel_path() -> str:
    from bench.data import company_new, sent_email
    from porto.mail.feedback.pixel import pixel_token

    company = company_new("Bench Tracking BV", slug="bench-tracking-bv")
    recipient = sent_email(company, "boekhouding@klant.example").recipients.get()
    return f"/t/{pixel_token(recipient.pk, recipient.pixel_key)}.gif"


def result(name: str, latencies: list[float], floor_rate: float | None = None) -> Result:
    ordered = sorted(latencies)
    total_s = sum(latencies) / 1000
    rate = round(len(latencies) / total_s, 1)
    notes: dict = {
        "requests": len(latencies),
        "per_s": rate,
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
    }
    if floor_rate:
        notes["ratio_to_bare_204"] = round(rate / floor_rate, 3)
    return Result(
        name=name,
        median_ms=notes["p50_ms"],
        runs=len(latencies),
        min_ms=round(ordered[0], 2),
        p90_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 2),
        max_ms=round(ordered[-1], 2),
        notes=notes,
    )


def projection(webhooks: int) -> Result:
    from django.core.management import call_command

    from porto.mail.models import DeliveryEvent

    started = time.perf_counter()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    elapsed = time.perf_counter() - started
    recorded = DeliveryEvent.objects.filter(source="postmark").count()
    return Result(
        name="webhook_projection_worker",
        median_ms=round(elapsed * 1000 / max(1, recorded), 2),
        runs=1,
        min_ms=0,
        p90_ms=0,
        max_ms=round(elapsed * 1000, 2),
        notes={
            "webhooks": webhooks,
            "events_recorded": recorded,
            "events_per_s": round(recorded / elapsed, 1),
            "note": "median_ms is per event; max_ms the whole batch (tasks include pixel opens)",
        },
    )


def run(runs: int = 20) -> list[Result]:
    count = max(REQUESTS, runs)
    port = free_port()
    path = pixel_path()
    server = server_start(port)
    try:
        bare = [("GET", "/bench/bare/", b"", {})] * count
        pixel = [("GET", path, b"", {"User-Agent": "Mozilla/5.0 Thunderbird/128.4.0"})] * count
        timed(port, bare[:WARMUP], 204)
        timed(port, webhook_calls(WARMUP, start=count), 200)
        timed(port, pixel[:WARMUP], 200)
        floor_latencies = timed(port, bare, 204)
        webhook_latencies = timed(port, webhook_calls(count), 200)
        pixel_latencies = timed(port, pixel, 200)
    finally:
        server.terminate()
        server.wait(timeout=10)
    floor = result("bare_204_view", floor_latencies)
    floor_rate = floor.notes["per_s"]
    return [
        floor,
        result("webhook_ingestion_postmark", webhook_latencies, floor_rate),
        result("pixel_request", pixel_latencies, floor_rate),
        projection(count + WARMUP),
    ]

"""Events under stress: 2,000 provider webhook posts and 2,000 pixel hits, concurrently over
loopback, against the production server (gunicorn, DEBUG off) while a bulk send runs through a
company's own SMTP server. Every request is answered without a 5xx, every webhook is stored and
projected once, a provider's retry of the same event is stored once, and every status ends
right. The test prints its counts."""

import base64
import json
import random
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from django.test import override_settings

from porto.mail.feedback.webhook_gate import webhook_path
from tests.mail.processes import REPOSITORY, Run, on_postgres_pass, report, sqlite_url
from tests.mail.smtpd import Rules, SmtpTestServer, free_port

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass"),
]

TRACKED = 1000  # emails a provider accepted; 2 webhook posts each
PIXEL_HITS = 2000
BULK = 150  # the bulk send running meanwhile
BASIC = "stress:webhook-secret"
URL_SECRET = "stress-webhook-url-secret"
PAYLOADS = REPOSITORY / "tests/mail/payloads/postmark"
FINAL_WITHIN = 240  # seconds for every event to be projected and the bulk send to end


def production_env(run: Run) -> None:
    run.env |= {
        "PORTO_DEBUG": "0",
        "PORTO_SECRET_KEY": secrets.token_urlsafe(50),
        "PORTO_FERNET_KEYS": Fernet.generate_key().decode(),
        "PORTO_ALLOWED_HOSTS": "127.0.0.1",
        "PORTO_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "PORTO_MAIL_TRANSPORT": "provider",
        "PORTO_ANYMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL_WEBHOOK_SECRET": BASIC,
        "PORTO_WEBHOOK_SECRET": URL_SECRET,
        "PORTO_SANDBOX_ENABLED": "0",
    }


def gunicorn(run: Run, port: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "porto.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--threads", "4",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=run.env, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=10)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("gunicorn did not start")


def webhook_posts(emails: list[dict]) -> list[tuple[str, bytes]]:
    """Per email two posts: Delivery and Open (it ends Read), or for every tenth a hard bounce
    posted twice, as a provider retrying it does (it ends Failed, stored once)."""
    delivery, opened, bounce = (
        json.loads((PAYLOADS / f"{name}.json").read_text())
        for name in ("delivery", "open", "bounce_hard")
    )
    posts = []
    for number, email in enumerate(emails):
        if number % 10 == 0:
            event = bounce | {"MessageID": email["message_id"], "Email": email["address"]}
            event["ID"] = 4_000_000_000 + number
            posts += [("bounce", json.dumps(event).encode())] * 2
        else:
            posts.append(
                ("delivery", json.dumps(delivery | {"MessageID": email["message_id"], "Recipient": email["address"]}).encode())
            )  # fmt: skip
            posts.append(
                ("open", json.dumps(opened | {"MessageID": email["message_id"], "Recipient": email["address"]}).encode())
            )  # fmt: skip
    return posts


def hit_all(port: int, posts: list[tuple[str, bytes]], pixels: list[str]) -> dict[int, int]:
    """Every webhook post and pixel hit, shuffled, 16 at a time; the count of each status."""
    with override_settings(PORTO_WEBHOOK_SECRET=URL_SECRET):
        path = webhook_path("postmark")
    auth = "Basic " + base64.b64encode(BASIC.encode()).decode()
    base = f"http://127.0.0.1:{port}"
    calls = [("POST", path, body) for _, body in posts] + [("GET", p, b"") for p in pixels]
    random.shuffle(calls)
    local = requests.Session

    def call(item) -> int:
        method, url, body = item
        headers = {"Content-Type": "application/json", "Authorization": auth} if body else {}
        for attempt in range(3):
            try:
                with local() as session:
                    return session.request(
                        method, base + url, data=body or None, headers=headers, timeout=60
                    ).status_code
            except requests.ConnectionError:
                if attempt == 2:
                    return 0  # never answered
                time.sleep(0.5)
        return 0

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(call, calls))
    counted: dict[int, int] = {}
    for status in statuses:
        counted[status] = counted.get(status, 0) + 1
    return counted


def test_webhooks_and_pixel_hits_under_load_are_each_stored_once_with_no_5xx(
    tmp_path: Path, capsys
):
    sink = SmtpTestServer(Rules())
    sink.start()
    run = Run(tmp_path, sqlite_url(tmp_path), "db", sink.port_number)
    production_env(run)
    port = free_port()
    server = None
    try:
        run.run(run.manage("migrate", "--noinput"))
        emails = run.scenario("tracked", str(TRACKED))["emails"]
        run.scenario("own-smtp", str(BULK), "Brouwerij Het Anker NV", str(sink.port_number))
        server = gunicorn(run, port)
        run.start_worker()
        run.start_sweeper()
        readers = [e for n, e in enumerate(emails) if n % 10]
        pixels = [random.choice(readers)["pixel"] for _ in range(PIXEL_HITS)]
        started = time.monotonic()
        posts = webhook_posts(emails)
        answered = hit_all(port, posts, pixels)
        http_seconds = round(time.monotonic() - started, 1)
        counts, sent = wait_for_projection(run)
    finally:
        if server is not None:
            server.kill()
            server.wait()
        run.stop()
        sink.stop()
    result = {
        "webhook_posts": 2 * TRACKED,
        "pixel_hits": PIXEL_HITS,
        "answered": answered,
        "http_seconds": http_seconds,
        "webhooks_stored": counts["webhooks"],
        "webhooks_processed": counts["webhooks_processed"],
        "events": counts["events"],
        "duplicate_events": counts["duplicate_events"],
        "statuses": counts["statuses"],
        "bulk_sent": sent,
        "bulk_received": len(sink.received),
    }
    report(capsys, result, "2,000 webhooks + 2,000 pixel hits during a bulk send")
    assert set(answered) <= {200, 204}, answered  # no 5xx, nothing unanswered
    distinct = len({body for _, body in posts})  # a provider's retry is one delivery
    assert counts["webhooks"] == distinct
    assert counts["webhooks_processed"] == distinct and counts["webhooks_failed"] == 0
    assert counts["duplicate_events"] == 0
    for number, email in enumerate(emails):
        expected = "failed" if number % 10 == 0 else "read"
        assert counts["by_address"][email["address"]] == expected, (email, expected)
    assert sent == BULK and len(sink.received) == BULK


def wait_for_projection(run: Run) -> tuple[dict, int]:
    deadline = time.monotonic() + FINAL_WITHIN
    while True:
        counts = run.scenario("tracked-counts")
        sent = run.scenario("counts")["states"].get("sent", 0) - TRACKED  # the bulk send's
        done = counts["webhooks_processed"] >= counts["webhooks"] and sent == BULK
        if done or time.monotonic() > deadline:
            return counts, sent
        time.sleep(2)

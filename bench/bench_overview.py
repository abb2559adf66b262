"""The documents overview with 10,000 documents and 30,000 emails, on the production setup: a
real gunicorn (one sync worker, ``PORTO_DEBUG=0``) on the benchmark's SQLite database, asked
over HTTP on loopback with a logged-in session, one request at a time.

``overview.p95_ms`` is the worst p95 over the first page, every value of the status filter
(draft, finalized, sent and the five email statuses) and a search, one value per round.
``overview.queries_10_rows`` and ``overview.queries_50_rows`` count the SQL queries of a
page of 10 rows and one of 50 in this process (Django's test client, same settings). Each page
also notes its median CPU time in this process (``cpu_ms_in_process``), which stays readable
when the machine is busy with other work and the wall-clock p95 is not.

The data: every document has three emails; their recipients' facts vary so that every email
status is the latest of some documents, and their stored status is decided by the status
code itself (``email_status_of``, ``document_status_store``), as the event path writes it.
"""

import datetime
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

from bench import Result, percentile

DOCUMENTS = 10_000
EMAILS_PER_DOCUMENT = 3
ROUNDS = 3
# gunicorn imports Django and the app first: on a busy shared machine that takes long.
SERVER_START_SECONDS = 120
REPOSITORY = Path(__file__).resolve().parent.parent
STATUS_VALUES = [
    "draft",
    "finalized",
    "sent",
    "in_transit",
    "delivered",
    "read",
    "failed",
    "unknown",
]
PAGES = [
    ("first_page", "/documents/"),
    ("search", "/documents/?q=klant+7"),
    *[(f"status_{value}", f"/documents/?status={value}") for value in STATUS_VALUES],
]
TEN_ROWS = "/documents/?q=2025-0001"  # 2025-00010 to 2025-00019
FIFTY_ROWS = "/documents/?q=2025-0"  # the first 50 of 9,896, all sent, as the 10 above


def email_facts(n: int, created_at: datetime.datetime) -> dict:
    """A recipient's facts, varied by ``n`` so that each status occurs."""
    kind = n % 10
    facts: dict = {"accepted_at": created_at}
    if kind in (1, 2, 3, 4):
        facts["delivered_at"] = created_at
    if kind in (3, 4):
        facts["human_open_at"] = created_at
    if kind == 5:
        facts["failed_at"] = created_at
        facts["failure_code"] = "550 5.1.1"
        facts["failure_reason"] = "The mailbox does not exist (550)"
    return facts  # 0, 6 to 9: no final fact: In transit, or Unknown once the window closed


def seed():
    from django.utils import timezone

    from bench.data import client_new, company_new, user_new
    from porto.documents.models import Document
    from porto.mail.models import OutgoingEmail, Recipient
    from porto.mail.status_store import document_status_store, email_status_of, stored_values

    company = company_new("Bench Overview BV", slug="bench-overview-bv")
    user = user_new(company, username="bench-overview")
    clients = [client_new(company, name=f"Klant {n} BV") for n in range(50)]
    start = datetime.date(2025, 1, 1)
    documents = Document.objects.bulk_create(
        [
            Document(
                company=company,
                kind="invoice",
                status="draft" if n % 97 == 0 else "finalized",
                client=clients[n % len(clients)],
                number="" if n % 97 == 0 else f"2025-{n + 1:05d}",
                sequence=None if n % 97 == 0 else n + 1,
                issue_date=None if n % 97 == 0 else start + datetime.timedelta(days=n % 365),
                total_incl_vat=Decimal("121.00"),
                sent_at=None if n % 97 == 0 else timezone.now(),
            )
            for n in range(DOCUMENTS)
        ],
        batch_size=1000,
    )
    now = timezone.now()
    emails = OutgoingEmail.objects.bulk_create(
        [
            OutgoingEmail(
                public_id=uuid.uuid4(),
                company=company,
                document=document,
                transport="sandbox",
                from_name="Bench",
                from_address="bench@send.example",
                subject=f"Factuur {document.number}",
                body_text="Beste klant",
                language="nl",
                file_format="pdf",
                track_opens=True,
                message_id=f"{uuid.uuid4().hex}@send.example",
                state="sent",
                handed_off_at=created_at,
                created_at=created_at,
            )
            for d, document in enumerate(documents)
            if document.status == "finalized"
            for i in range(EMAILS_PER_DOCUMENT)
            for created_at in [now - datetime.timedelta(days=d % 60 + 3 * (2 - i), hours=1)]
        ],
        batch_size=1000,
    )
    recipients = Recipient.objects.bulk_create(
        [
            Recipient(
                email=email, address=f"k{n}@klant.example", **email_facts(n, email.created_at)
            )
            for n, email in enumerate(emails)
        ],
        batch_size=1000,
    )
    for email, recipient in zip(emails, recipients, strict=True):
        for name, value in stored_values(email_status_of(email, [recipient])).items():
            setattr(email, name, value)
    OutgoingEmail.objects.bulk_update(
        emails, ["shown_status", "unknown_after", "some_failed"], batch_size=1000
    )
    document_status_store(d.pk for d in documents)
    return user


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(port: int) -> subprocess.Popen:
    """gunicorn on the benchmark's database (``PORTO_VAR_DIR`` is inherited), production
    settings, the same secret key as this process so its session cookie is valid."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="porto.settings",
        PORTO_DEBUG="0",
        PORTO_SECRET_KEY=settings.SECRET_KEY,
        PORTO_SANDBOX_ENABLED="0",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers=1",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
            "porto.wsgi:application",
        ],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            get(port, "/login/", {})
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"gunicorn did not start within {SERVER_START_SECONDS} s.")


def get(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed(port: int, path: str, headers: dict, runs: int) -> tuple[list[float], int]:
    get(port, path, headers)  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        status, body = get(port, path, headers)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}.")
    return sorted(timings), body.count(b'class="row-check"')


def p95(timings: list[float]) -> float:
    return percentile(timings, 0.95)


def query_count(browser, path: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser.get(path)  # warm-up
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path)
    assert response.status_code == 200, response.status_code
    return len(captured), response.content.count(b'class="row-check"')


def cpu_ms(browser, path: str, runs: int) -> float:
    """The median CPU time of the page in this process (the view, its SQLite queries, the
    template): what a page costs when the machine is shared with other work."""
    browser.get(path)  # warm-up
    spent = []
    for _ in range(runs):
        started = time.process_time()
        browser.get(path)
        spent.append((time.process_time() - started) * 1000)
    return round(statistics.median(spent), 2)


def run(runs: int = 20) -> list[Result]:
    from django.conf import settings
    from django.test import Client

    user = seed()
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(user)
    queries_10, rows_10 = query_count(browser, TEN_ROWS)
    queries_50, rows_50 = query_count(browser, FIFTY_ROWS)
    assert (rows_10, rows_50) == (10, 50), (rows_10, rows_50)
    cpu = {name: cpu_ms(browser, path, runs) for name, path in PAGES}
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={browser.cookies['sessionid'].value}"}
    port = free_port()
    server = server_start(port)
    try:
        per_page: dict[str, list[float]] = {name: [] for name, _ in PAGES}
        rows: dict[str, int] = {}
        worst: list[float] = []
        for _ in range(ROUNDS):
            round_p95 = []
            for name, path in PAGES:
                timings, rows[name] = timed(port, path, cookie, runs)
                per_page[name] += timings
                round_p95.append(p95(timings))
            worst.append(round(max(round_p95), 2))
    finally:
        server.terminate()
        server.wait(timeout=10)
    results = [page_result(name, sorted(t), rows[name], cpu[name]) for name, t in per_page.items()]
    results.append(
        Result(
            name="overview_worst_p95",
            median_ms=round(statistics.median(worst), 2),
            runs=len(worst),
            min_ms=min(worst),
            p90_ms=max(worst),
            max_ms=max(worst),
            notes={
                "server": "gunicorn, 1 sync worker, PORTO_DEBUG=0, SQLite",
                "documents": DOCUMENTS,
                "rows_10_page": TEN_ROWS,
                "queries_10_rows": queries_10,
                "queries_50_rows": queries_50,
            },
            figures={
                "overview.p95_ms": worst,
                "overview.queries_10_rows": [queries_10],
                "overview.queries_50_rows": [queries_50],
            },
        )
    )
    return results


def page_result(name: str, timings: list[float], rows: int, cpu: float) -> Result:
    return Result(
        name=f"overview_{name}",
        median_ms=round(statistics.median(timings), 2),
        runs=len(timings),
        min_ms=round(timings[0], 2),
        p90_ms=round(percentile(timings, 0.9), 2),
        max_ms=round(timings[-1], 2),
        notes={
            "p95_ms": round(p95(timings), 2),
            "rows": rows,
            "documents": DOCUMENTS,
            "cpu_ms_in_process": cpu,
        },
    )

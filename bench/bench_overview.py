"""The documents overview with 10,000 documents and 30,000 emails: server time of the page
(p50 = median, p90/max beside it; p95 in the notes) and its SQL query count, which must not
grow with the number of rows shown."""

import datetime
import statistics
import time
import uuid
from decimal import Decimal

from bench import Result

DOCUMENTS = 10_000
EMAILS_PER_DOCUMENT = 3


def seed():
    from django.utils import timezone

    from bench.data import client_new, company_new, user_new
    from porto.documents.models import Document
    from porto.mail.models import OutgoingEmail, Recipient

    company = company_new("Bench Overview BV", slug="bench-overview-bv")
    user = user_new(company, username="bench-overview")
    clients = [client_new(company, name=f"Klant {n} BV") for n in range(50)]
    start = datetime.date(2025, 1, 1)
    documents = Document.objects.bulk_create(
        [
            Document(
                company=company,
                kind="invoice",
                status="finalized",
                client=clients[n % len(clients)],
                number=f"2025-{n + 1:05d}",
                sequence=n + 1,
                issue_date=start + datetime.timedelta(days=n % 365),
                total_incl_vat=Decimal("121.00"),
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
                message_id=f"{uuid.uuid4().hex}@send.example",
                state="sent",
                handed_off_at=now - datetime.timedelta(days=i),
                created_at=now - datetime.timedelta(days=i),
            )
            for document in documents
            for i in range(EMAILS_PER_DOCUMENT)
        ],
        batch_size=1000,
    )
    Recipient.objects.bulk_create(
        [
            Recipient(
                email=email,
                address=f"k{n}@klant.example",
                accepted_at=email.created_at,
                delivered_at=email.created_at if n % 3 else None,
                human_open_at=email.created_at if n % 7 == 0 else None,
                failed_at=email.created_at if n % 11 == 0 else None,
                failure_reason="The mailbox does not exist (550)" if n % 11 == 0 else "",
            )
            for n, email in enumerate(emails)
        ],
        batch_size=1000,
    )
    return user


def timed_page(browser, url: str, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser.get(url)  # warm-up (session, caches)
    timings, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = browser.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
        rows = response.content.count(b'class="row-check"')
    return sorted(timings), queries, rows


def result(name: str, timings: list[float], **notes) -> Result:
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return Result(
        name=name,
        median_ms=round(statistics.median(timings), 2),
        runs=len(timings),
        min_ms=round(timings[0], 2),
        p90_ms=round(timings[min(len(timings) - 1, int(len(timings) * 0.9))], 2),
        max_ms=round(timings[-1], 2),
        notes={"p95_ms": round(p95, 2), **notes},
    )


def run(runs: int = 20) -> list[Result]:
    from django.test import Client

    user = seed()
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(user)
    results = []
    counts = {}
    for name, url in [
        ("overview_first_page", "/documents/"),
        ("overview_one_row", "/documents/?q=2025-00042"),
        ("overview_filter_failed", "/documents/?status=failed"),
        ("overview_filter_in_transit", "/documents/?status=in_transit"),
        ("overview_page_100", "/documents/?page=100"),
    ]:
        timings, queries, rows = timed_page(browser, url, runs)
        counts[name] = queries
        results.append(result(name, timings, queries=queries, rows=rows, documents=DOCUMENTS))
    assert counts["overview_first_page"] == counts["overview_one_row"], counts
    return results

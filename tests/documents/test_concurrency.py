"""Concurrent finalization on PostgreSQL: every thread has its own connection, all start at
once, and the numbers still come out 1..N with no gap and no duplicate."""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from porto.documents.models import (
    Document,
    DocumentKind,
    DocumentLine,
    FinalizedDocumentError,
    NumberSeries,
)
from porto.documents.services import document_finalize
from tests.factories import make_client, make_document

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("postgresql_only"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in its own thread (and so its own connection), all released at once.
    Returns each job's result or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a finalization hung"
    return results


def finalize_job(pk: int) -> Callable[[], object]:
    return lambda: document_finalize(Document.objects.get(pk=pk)).number


@pytest.mark.parametrize("kind", [DocumentKind.INVOICE, DocumentKind.QUOTE])
def test_concurrent_finalizations_get_distinct_gap_free_numbers(company, kind):
    client = make_client(company)
    drafts = [
        make_document(company, client, kind=kind, issue_date="2026-05-04") for _ in range(THREADS)
    ]
    broken = [make_document(company, client, kind=kind, lines=[]) for _ in range(3)]
    jobs = [finalize_job(d.pk) for d in drafts] + [finalize_job(d.pk) for d in broken]

    results = run_together(jobs)

    numbers = results[:THREADS]
    assert all(isinstance(n, str) for n in numbers), numbers
    prefix = "" if kind == DocumentKind.INVOICE else "Q-"
    assert sorted(numbers) == [f"{prefix}2026-{n:05d}" for n in range(1, THREADS + 1)]
    for error in results[THREADS:]:
        assert isinstance(error, ValidationError)
        assert error.messages == ["Add at least one line: a finalized document cannot be empty."]
    series = NumberSeries.objects.get(company=company, kind=kind, year=2026)
    assert series.last_value == THREADS
    stored = Document.objects.filter(company=company, kind=kind).exclude(number="")
    assert sorted(stored.values_list("sequence", flat=True)) == list(range(1, THREADS + 1))


def test_two_finalizations_of_the_same_draft_one_wins(company):
    draft = make_document(company, make_client(company), issue_date="2026-05-04")

    results = run_together([finalize_job(draft.pk), finalize_job(draft.pk)])

    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, ValidationError)]
    assert winners == ["2026-00001"]
    assert len(losers) == 1
    assert losers[0].code == "already_finalized"
    assert losers[0].messages == ["Document 2026-00001 is already finalized."]
    assert NumberSeries.objects.get(company=company, kind="invoice").last_value == 1


def test_a_line_added_during_finalization_is_either_counted_or_refused(company):
    client = make_client(company)
    for _ in range(5):
        draft = make_document(company, client, issue_date="2026-05-04")

        def add_line(pk=draft.pk):
            return DocumentLine.objects.create(
                document_id=pk, name="Late", quantity=1, unit_price=1000
            )

        finalized, added = run_together([finalize_job(draft.pk), add_line])

        assert isinstance(finalized, str), finalized
        assert isinstance(added, DocumentLine | FinalizedDocumentError), added
        document = Document.objects.get(pk=draft.pk)
        assert document.total_incl_vat == document.compute_totals().tax_inclusive
        assert document.lines.count() == (2 if isinstance(added, DocumentLine) else 1)

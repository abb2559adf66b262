"""Number series settings: a prefix per kind and the next number of the year, set by an owner
and used by document_finalize; every refusal with its message; nothing half-saved."""

import datetime
import os
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from porto.documents.models import Document, DocumentKind, NumberFormat, NumberSeries
from porto.documents.numbering import (
    SeriesChange,
    format_number,
    next_number,
    number_prefixes,
    number_series_update,
)
from porto.documents.services import document_finalize
from tests.documents.test_concurrency import run_together
from tests.factories import make_client, make_document

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)
INVOICE, CREDIT_NOTE, QUOTE, OTHER = (
    DocumentKind.INVOICE,
    DocumentKind.CREDIT_NOTE,
    DocumentKind.QUOTE,
    DocumentKind.OTHER,
)


@pytest.fixture
def buyer(company):
    return make_client(company)


def finalize(company, buyer, kind=INVOICE, today=DAY) -> Document:
    fields: dict = {"title": "Delivery note"} if kind == OTHER else {}
    if kind == CREDIT_NOTE:
        fields["corrects"] = last_years_invoice(company, buyer)
    return document_finalize(make_document(company, buyer, kind=kind, **fields), today=today)


def last_years_invoice(company, buyer) -> Document:
    """The invoice credit notes correct: from 2025, so this year's invoice series is untouched."""
    found = Document.objects.filter(company=company, kind=INVOICE, issue_date__year=2025).first()
    return found or finalize(company, buyer, today=datetime.date(2025, 12, 1))


def refusal(company, changes: dict, year: int = 2026) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        number_series_update(company.pk, year, changes)
    return caught.value.message_dict


def test_without_settings_the_numbers_keep_their_default_prefixes(company, buyer):
    numbers = [finalize(company, buyer, kind).number for kind in DocumentKind]

    assert numbers == ["2026-00001", "CN-2026-00001", "Q-2026-00001", "D-2026-00001"]
    assert number_prefixes(company.pk) == {
        INVOICE: "",
        CREDIT_NOTE: "CN-",
        QUOTE: "Q-",
        OTHER: "D-",
    }


def test_a_custom_prefix_and_start_are_used_by_finalize(company, buyer):
    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(prefix="F", next_number=153)})

    first, second = finalize(company, buyer), finalize(company, buyer)

    assert (first.number, first.sequence) == ("F2026-00153", 153)
    assert second.number == "F2026-00154"
    assert first.structured_communication == "+++202/6000/15350+++"
    assert NumberSeries.objects.get(company=company, kind=INVOICE, year=2026).last_value == 154


def test_the_next_number_preview_follows_the_settings(company, buyer):
    assert next_number(company.pk, QUOTE, 2026) == "Q-2026-00001"
    number_series_update(company.pk, 2026, {QUOTE: SeriesChange(prefix="OFF/", next_number=40)})

    assert next_number(company.pk, QUOTE, 2026) == "OFF/2026-00040"
    assert finalize(company, buyer, QUOTE).number == "OFF/2026-00040"
    assert next_number(company.pk, QUOTE, 2026) == "OFF/2026-00041"


def test_the_prefix_applies_to_the_next_year_whose_series_starts_at_1(company, buyer):
    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(prefix="F", next_number=500)})

    assert finalize(company, buyer, today=datetime.date(2027, 1, 4)).number == "F2027-00001"
    assert finalize(company, buyer).number == "F2026-00500"


def test_a_prefix_change_never_renumbers_finalized_documents(company, buyer):
    before = finalize(company, buyer)

    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(prefix="INV-")})
    after = finalize(company, buyer)

    before.refresh_from_db()
    assert before.number == "2026-00001"
    assert after.number == "INV-2026-00002"
    assert format_number(company.pk, INVOICE, 2026, 3) == "INV-2026-00003"


def test_settings_of_one_company_leave_another_company_alone(company, other_company, buyer):
    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(prefix="F", next_number=90)})

    theirs = finalize(other_company, make_client(other_company))

    assert theirs.number == "2026-00001"


def test_the_next_number_cannot_go_back_to_a_used_number(company, buyer):
    finalize(company, buyer), finalize(company, buyer)

    problems = refusal(company, {INVOICE: SeriesChange(next_number=2)})

    assert problems == {
        "invoice_next_number": [
            "2026-00002 is the last number used this year: the next number must be 3 or higher."
        ]
    }
    assert NumberSeries.objects.get(company=company, kind=INVOICE, year=2026).last_value == 2


def test_the_next_number_may_be_the_one_after_the_last_used(company, buyer):
    finalize(company, buyer)

    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(next_number=2)})

    assert finalize(company, buyer).number == "2026-00002"


def test_a_raised_next_number_may_come_down_while_no_document_used_it(company, buyer):
    finalize(company, buyer)
    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(next_number=1500)})

    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(next_number=150)})

    assert finalize(company, buyer).number == "2026-00150"


def test_the_last_used_number_is_named_with_its_prefix_of_the_time(company, buyer):
    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(prefix="F", next_number=10)})
    finalize(company, buyer)
    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(prefix="G")})

    problems = refusal(company, {INVOICE: SeriesChange(next_number=5)})

    assert problems["invoice_next_number"] == [
        "F2026-00010 is the last number used this year: the next number must be 11 or higher."
    ]


@pytest.mark.parametrize("wrong", [0, 100000])
def test_the_next_number_must_be_from_1_to_99999(company, wrong):
    problems = refusal(company, {OTHER: SeriesChange(next_number=wrong)})

    assert problems == {"other_next_number": ["The next number is a whole number from 1 to 99999."]}


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("F 1", "A prefix holds only letters A to Z, digits and the signs - / . _: remove space."),
        ("FÉ#", "A prefix holds only letters A to Z, digits and the signs - / . _: remove É #."),
        ("FACTUUR-BE-", "A prefix has at most 10 characters; FACTUUR-BE- has 11."),
    ],
)
def test_a_wrong_prefix_is_refused_with_what_to_change(company, prefix, message):
    problems = refusal(company, {INVOICE: SeriesChange(prefix=prefix)})

    assert problems == {"invoice_prefix": [message]}
    assert not NumberFormat.objects.filter(company=company).exists()


def test_every_allowed_sign_makes_a_valid_prefix(company, buyer):
    number_series_update(company.pk, 2026, {OTHER: SeriesChange(prefix="Lb-2/x._")})

    assert finalize(company, buyer, OTHER).number == "Lb-2/x._2026-00001"


def test_two_kinds_cannot_share_a_prefix(company):
    problems = refusal(company, {INVOICE: SeriesChange(prefix="CN-")})

    assert problems == {
        "invoice_prefix": [
            "Credit notes already use this prefix: give each kind its own prefix so that "
            "every number stays unique."
        ]
    }


def test_two_kinds_may_swap_prefixes_when_no_number_collides(company, buyer):
    number_series_update(
        company.pk, 2026, {QUOTE: SeriesChange(prefix="D-"), OTHER: SeriesChange(prefix="Q-")}
    )

    assert finalize(company, buyer, QUOTE).number == "D-2026-00001"
    assert finalize(company, buyer, OTHER).number == "Q-2026-00001"


def test_a_prefix_that_would_reach_an_existing_number_is_refused(company, buyer):
    for _ in range(3):
        finalize(company, buyer, CREDIT_NOTE)  # CN-2026-00001 .. 00003
    finalize(company, buyer)  # 2026-00001: the invoices' next number is 2

    problems = refusal(
        company, {INVOICE: SeriesChange(prefix="CN-"), CREDIT_NOTE: SeriesChange(prefix="C-")}
    )

    assert problems == {
        "invoice_prefix": [
            "Document CN-2026-00002 already exists: a new document would get the same number. "
            "Choose another prefix or a higher next number."
        ]
    }
    assert number_prefixes(company.pk)[INVOICE] == ""


def test_a_prefix_that_would_reach_a_number_of_a_past_year_is_refused(company, buyer):
    last_years_invoice(company, buyer)  # 2025-00001: the invoices' next 2025 number is 2
    for _ in range(3):
        finalize(company, buyer, CREDIT_NOTE, today=datetime.date(2025, 12, 2))
    finalize(company, buyer, CREDIT_NOTE)  # CN-2026-00001

    problems = refusal(
        company,
        {
            INVOICE: SeriesChange(prefix="CN-", next_number=5),
            CREDIT_NOTE: SeriesChange(prefix="C-"),
        },
    )

    assert problems == {
        "invoice_prefix": [
            "Document CN-2025-00002 already exists: a new document would get the same number. "
            "Choose another prefix or a higher next number."
        ]
    }


def test_a_prefix_of_past_numbers_is_fine_above_them(company, buyer):
    for _ in range(3):
        finalize(company, buyer, CREDIT_NOTE)
    changes = {
        INVOICE: SeriesChange(prefix="CN-", next_number=4),
        CREDIT_NOTE: SeriesChange(prefix="C-"),
    }

    number_series_update(company.pk, 2026, changes)

    assert finalize(company, buyer).number == "CN-2026-00004"
    assert finalize(company, buyer, CREDIT_NOTE).number == "C-2026-00004"


def test_a_lower_next_number_that_reaches_an_existing_number_is_refused(company, buyer):
    for _ in range(3):
        finalize(company, buyer, CREDIT_NOTE)
    number_series_update(
        company.pk,
        2026,
        {INVOICE: SeriesChange(prefix="CN-", next_number=9), CREDIT_NOTE: SeriesChange("C-")},
    )

    problems = refusal(company, {INVOICE: SeriesChange(next_number=3)})

    assert problems == {
        "invoice_next_number": [
            "Document CN-2026-00003 already exists: a new document would get the same number. "
            "Choose another prefix or a higher next number."
        ]
    }


def test_one_refused_kind_saves_nothing_of_the_others(company):
    changes = {
        INVOICE: SeriesChange(prefix="F", next_number=153),
        QUOTE: SeriesChange(prefix="bad prefix"),
    }

    problems = refusal(company, changes)

    assert list(problems) == ["quote_prefix"]
    assert not NumberFormat.objects.filter(company=company).exists()
    assert next_number(company.pk, INVOICE, 2026) == "2026-00001"


def test_a_kind_without_changes_keeps_its_series(company, buyer):
    finalize(company, buyer)

    number_series_update(company.pk, 2026, {INVOICE: SeriesChange(), QUOTE: SeriesChange()})

    assert next_number(company.pk, INVOICE, 2026) == "2026-00002"


# --- Under concurrency (PostgreSQL: each thread has its own connection) ---


@pytest.fixture
def postgresql_only():
    if connection.vendor == "postgresql":
        return
    message = "This test needs PostgreSQL (DATABASE_URL): `make test-postgres` runs it."
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def finalize_job(pk: int) -> Callable[[], object]:
    return lambda: document_finalize(Document.objects.get(pk=pk), today=DAY).sequence


def update_job(company_id: int, change: SeriesChange) -> Callable[[], object]:
    return lambda: number_series_update(company_id, 2026, {INVOICE: change})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgresql_only")
def test_raising_the_next_number_during_finalizations_keeps_both_runs_gap_free(company):
    buyer = make_client(company)
    drafts = [make_document(company, buyer) for _ in range(6)]

    results = run_together(
        [finalize_job(d.pk) for d in drafts] + [update_job(company.pk, SeriesChange("F", 100))]
    )

    sequences = sorted(results[:-1])
    assert results[-1] is None, results[-1]
    before = [s for s in sequences if s < 100]
    assert before == list(range(1, len(before) + 1))
    assert sequences[len(before) :] == list(range(100, 100 + len(sequences) - len(before)))
    numbers = Document.objects.filter(company=company).values_list("number", flat=True)
    assert len(set(numbers)) == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgresql_only")
def test_a_next_number_set_while_that_number_is_taken_is_refused_or_comes_first(company):
    buyer = make_client(company)
    for round_ in range(5):
        draft = make_document(company, buyer)
        taken = NumberSeries.objects.filter(company=company, kind=INVOICE).first()
        wanted = (taken.last_value if taken else 0) + 1

        finalized, updated = run_together(
            [finalize_job(draft.pk), update_job(company.pk, SeriesChange(next_number=wanted))]
        )

        assert finalized == wanted, (round_, finalized)
        if updated is not None:
            assert isinstance(updated, ValidationError), updated
            assert updated.message_dict["invoice_next_number"] == [
                f"2026-{wanted:05d} is the last number used this year: the next number must "
                f"be {wanted + 1} or higher."
            ]
    stored = Document.objects.filter(company=company).order_by("sequence")
    assert list(stored.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]

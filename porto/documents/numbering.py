"""Document numbers: one gap-free series per company, kind and year.

A number reads ``{prefix}{year}-{sequence:05d}`` (``2026-00042``, ``CN-2026-00003``). The
prefix is the company's choice per kind (``NumberFormat``), else the kind's default
(``NUMBER_PREFIX``). The sequence comes from the ``NumberSeries`` row of that year, locked
while a number is taken, so concurrent finalizations wait for each other and a rolled-back
finalization gives its number back.

An owner may set the prefix and the next number of the current year (``number_series_update``)
under the same lock: the next number never goes back to a number already used, and a prefix
never makes a number that another document already has.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from porto.documents.models import (
    NUMBER_PREFIX,
    Document,
    DocumentKind,
    NumberFormat,
    NumberSeries,
    validate_number_prefix,
)

SEQUENCE_DIGITS = 5
# The structured communication holds the sequence in six digits; five keep every number
# the same length.
MAX_NEXT_NUMBER = 10**SEQUENCE_DIGITS - 1

KIND_PLURAL = {
    DocumentKind.INVOICE: gettext_lazy("Invoices"),
    DocumentKind.CREDIT_NOTE: gettext_lazy("Credit notes"),
    DocumentKind.QUOTE: gettext_lazy("Quotes"),
    DocumentKind.OTHER: gettext_lazy("Other documents"),
}
PREFIX_IN_USE = {
    DocumentKind.INVOICE: gettext_lazy(
        "Invoices already use this prefix: give each kind its own prefix so that every "
        "number stays unique."
    ),
    DocumentKind.CREDIT_NOTE: gettext_lazy(
        "Credit notes already use this prefix: give each kind its own prefix so that every "
        "number stays unique."
    ),
    DocumentKind.QUOTE: gettext_lazy(
        "Quotes already use this prefix: give each kind its own prefix so that every "
        "number stays unique."
    ),
    DocumentKind.OTHER: gettext_lazy(
        "Other documents already use this prefix: give each kind its own prefix so that "
        "every number stays unique."
    ),
}


def number_text(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}{year}-{sequence:0{SEQUENCE_DIGITS}d}"


def number_prefixes(company_id: int) -> dict[str, str]:
    """The prefix of every kind for this company."""
    chosen = dict(NumberFormat.objects.filter(company_id=company_id).values_list("kind", "prefix"))
    return {kind: chosen.get(kind, NUMBER_PREFIX[kind]) for kind in DocumentKind}


def format_number(company_id: int, kind: str, year: int, sequence: int) -> str:
    return number_text(number_prefixes(company_id)[DocumentKind(kind)], year, sequence)


def take_next_number(company_id: int, kind: str, year: int) -> int:
    """Take the next number of a series. Call inside the finalizing transaction: the row
    lock makes concurrent finalizations wait, and a rollback gives the number back."""
    series = _locked_series(company_id, [kind], year)[kind]
    series.last_value += 1
    series.save(update_fields=["last_value"])
    return series.last_value


def next_sequences(company_id: int, year: int) -> dict[str, int]:
    """The sequence each kind's next finalization in ``year`` would take (not reserved)."""
    taken = dict(
        NumberSeries.objects.filter(company_id=company_id, year=year).values_list(
            "kind", "last_value"
        )
    )
    return {kind: taken.get(kind, 0) + 1 for kind in DocumentKind}


def next_number(company_id: int, kind: str, year: int) -> str:
    """The number the next finalization of ``kind`` in ``year`` would take, e.g. to show it
    before finalizing. Not reserved: a concurrent finalization may take it first."""
    kind = DocumentKind(kind)
    sequence = next_sequences(company_id, year)[kind]
    return number_text(number_prefixes(company_id)[kind], year, sequence)


@dataclass(frozen=True)
class SeriesChange:
    """What an owner asks for one kind; None keeps what is stored."""

    prefix: str | None = None
    next_number: int | None = None


def number_series_update(company_id: int, year: int, changes: dict[str, SeriesChange]) -> None:
    """Apply every change or none. Raises ValidationError keyed ``<kind>_prefix`` and
    ``<kind>_next_number`` with each problem."""
    with transaction.atomic():
        series = _locked_series(company_id, list(DocumentKind), year)
        prefixes = number_prefixes(company_id)
        wanted = {
            kind: change.prefix if change.prefix is not None else prefixes[kind]
            for kind, change in _all_kinds(changes).items()
        }
        problems = _series_problems(company_id, year, series, prefixes, wanted, changes)
        if problems:
            raise ValidationError(problems)
        for kind, change in changes.items():
            if change.prefix is not None and change.prefix != prefixes[kind]:
                NumberFormat.objects.update_or_create(
                    company_id=company_id, kind=kind, defaults={"prefix": change.prefix}
                )
            if change.next_number is not None:
                series[kind].last_value = change.next_number - 1
                series[kind].save(update_fields=["last_value"])


def _all_kinds(changes: dict[str, SeriesChange]) -> dict[str, SeriesChange]:
    return {kind: changes.get(kind, SeriesChange()) for kind in DocumentKind}


def _locked_series(company_id: int, kinds: list[str], year: int) -> dict[str, NumberSeries]:
    NumberSeries.objects.bulk_create(
        [NumberSeries(company_id=company_id, kind=kind, year=year) for kind in kinds],
        ignore_conflicts=True,
    )
    rows = NumberSeries.objects.select_for_update().filter(
        company_id=company_id, kind__in=kinds, year=year
    )
    return {row.kind: row for row in rows.order_by("kind")}


def _series_problems(
    company_id: int,
    year: int,
    series: dict[str, NumberSeries],
    stored_prefixes: dict[str, str],
    wanted_prefixes: dict[str, str],
    changes: dict[str, SeriesChange],
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for kind, change in changes.items():
        prefix_changed = change.prefix is not None and change.prefix != stored_prefixes[kind]
        if change.next_number is not None:
            problem = _next_number_problem(company_id, kind, year, change.next_number)
            if problem:
                problems[f"{kind}_next_number"] = [problem]
                continue
        if prefix_changed:
            problem = _prefix_problem(kind, wanted_prefixes)
            if problem:
                problems[f"{kind}_prefix"] = [problem]
                continue
        if prefix_changed or change.next_number is not None:
            next_sequence = change.next_number or series[kind].last_value + 1
            taken = _taken_number(company_id, kind, wanted_prefixes[kind], year, next_sequence)
            if taken:
                field = "prefix" if prefix_changed else "next_number"
                problems[f"{kind}_{field}"] = [
                    _(
                        "Document %(number)s already exists: a new document would get the "
                        "same number. Choose another prefix or a higher next number."
                    )
                    % {"number": taken}
                ]
    return problems


def validate_next_number(next_sequence: int) -> None:
    if not 1 <= next_sequence <= MAX_NEXT_NUMBER:
        raise ValidationError(
            _("The next number is a whole number from 1 to %(max)d.") % {"max": MAX_NEXT_NUMBER},
            code="next_number_range",
        )


def _next_number_problem(company_id: int, kind: str, year: int, next_sequence: int) -> str:
    try:
        validate_next_number(next_sequence)
    except ValidationError as error:
        return error.messages[0]
    used = _finalized(company_id, year).filter(kind=kind)
    last_used = used.aggregate(last=Max("sequence"))["last"]
    if last_used is None or next_sequence > last_used:
        return ""
    last_number = used.filter(sequence=last_used).values_list("number", flat=True).first()
    return _(
        "%(number)s is the last number used this year: the next number must be "
        "%(minimum)d or higher."
    ) % {"number": last_number, "minimum": last_used + 1}


def _prefix_problem(kind: str, wanted_prefixes: dict[str, str]) -> str:
    prefix = wanted_prefixes[kind]
    try:
        validate_number_prefix(prefix)
    except ValidationError as error:
        return error.messages[0]
    sharing = [k for k in DocumentKind if k != kind and wanted_prefixes[k] == prefix]
    if sharing:
        return str(PREFIX_IN_USE[sharing[0]])
    return ""


def _taken_number(company_id: int, kind: str, prefix: str, year: int, next_sequence: int) -> str:
    """The first existing number that ``kind`` would give again with ``prefix``: in ``year``
    from ``next_sequence`` on, in another year from that year's next number on (a document
    may be dated in a past year)."""
    next_in = {
        series_year: last + 1
        for series_year, last in NumberSeries.objects.filter(
            company_id=company_id, kind=kind
        ).values_list("year", "last_value")
    } | {year: next_sequence}
    # startswith is case-insensitive on SQLite: _year_and_sequence checks exactly.
    numbers = Document.objects.filter(company_id=company_id, number__startswith=prefix)
    taken = []
    for number in numbers.values_list("number", flat=True):
        parsed = _year_and_sequence(number, prefix)
        if parsed and parsed[1] >= next_in.get(parsed[0], 1):
            taken.append((parsed, number))
    return min(taken)[1] if taken else ""


def _year_and_sequence(number: str, prefix: str) -> tuple[int, int] | None:
    if not number.startswith(prefix):
        return None
    year, dash, sequence = number[len(prefix) :].partition("-")
    if dash and len(year) == 4 and year.isdigit() and sequence.isdigit():
        return int(year), int(sequence)
    return None


def _finalized(company_id: int, year: int):
    return Document.objects.filter(
        company_id=company_id, status=Document.Status.FINALIZED, issue_date__year=year
    )

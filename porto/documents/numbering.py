"""Document numbers: one gap-free series per company, kind and year."""

from porto.documents.models import NUMBER_PREFIX, DocumentKind, NumberSeries


def take_next_number(company_id: int, kind: str, year: int) -> int:
    """Take the next number of a series. Call inside the finalizing transaction: the row
    lock makes concurrent finalizations wait, and a rollback gives the number back."""
    NumberSeries.objects.bulk_create(
        [NumberSeries(company_id=company_id, kind=kind, year=year)], ignore_conflicts=True
    )
    series = NumberSeries.objects.select_for_update().get(
        company_id=company_id, kind=kind, year=year
    )
    series.last_value += 1
    series.save(update_fields=["last_value"])
    return series.last_value


def format_number(kind: str, year: int, sequence: int) -> str:
    return f"{NUMBER_PREFIX[DocumentKind(kind)]}{year}-{sequence:05d}"


def peek_next_number(company_id: int, kind: str, year: int) -> int:
    """The number the next finalization of this series would take, without taking it."""
    series = NumberSeries.objects.filter(company_id=company_id, kind=kind, year=year).first()
    return (series.last_value if series else 0) + 1

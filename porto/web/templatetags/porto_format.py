"""Amounts and counts on the pages, in the reader's language, with the same rules as the PDF
and the emails (``porto.lib.formatting``): ``{{ document.total_incl_vat|amount:document.currency }}``,
``{{ count|count }}``."""

from decimal import Decimal

from django import template

from porto.lib.formatting import active_language, format_amount, format_count

register = template.Library()


@register.filter
def amount(value: Decimal | None, currency: str = "EUR") -> str:
    if value is None or value == "":
        return ""
    return format_amount(Decimal(value), active_language(), currency or "EUR")


@register.filter(name="count")
def count_filter(value: int) -> str:
    return format_count(int(value), active_language())

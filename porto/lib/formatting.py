"""Amounts and dates as a Belgian reader expects them in each language.

- Dutch: ``1.234,56 €`` and ``28/11/2026``.
- French: ``1 234,56 €`` (thousands separated by a narrow no-break space, U+202F, as in
  Belgian and French typography and CLDR) and ``28/11/2026``.
- English: ``€1,234.56`` and ``28 November 2026``: the long form, because ``11/12/2026``
  reads as a different day to a British and an American reader.

The space before ``€`` is a no-break space (U+00A0) so the sign never wraps to a new line.
Django's locale formatting is not used: it depends on the active request language, and these
values follow the language of the email, not of the person sending it.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

NBSP = "\u00a0"
NNBSP = "\u202f"
CURRENCY_SIGNS = {"EUR": "€"}

_SEPARATORS = {"nl": (".", ","), "fr": (NNBSP, ","), "en": (",", ".")}

_MONTHS_EN = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def _grouped(amount: Decimal, thousands: str, decimal_mark: str) -> str:
    quantized = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = f"{quantized:.2f}".split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return thousands.join(groups) + decimal_mark + cents


def format_amount(amount: Decimal, language: str, currency: str = "EUR") -> str:
    thousands, decimal_mark = _SEPARATORS.get(language, _SEPARATORS["en"])
    number = _grouped(Decimal(amount), thousands, decimal_mark)
    sign = "-" if Decimal(amount) < 0 else ""
    symbol = CURRENCY_SIGNS.get(currency)
    if language in ("nl", "fr"):
        return f"{sign}{number}{NBSP}{symbol or currency}"
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{currency}{NBSP}{number}"


def active_language() -> str:
    """The language of the page being rendered ("nl" for "nl-be"), for values a person reads
    on screen rather than in a document."""
    return (translation.get_language() or "en").split("-")[0]


def format_count(count: int, language: str) -> str:
    """A whole number with the language's thousands separator: ``1.234``, ``1 234``
    (narrow no-break space), ``1,234``."""
    thousands, _decimal_mark = _SEPARATORS.get(language, _SEPARATORS["en"])
    return f"{count:,}".replace(",", thousands)


def format_date(value: datetime.date | None, language: str) -> str:
    if value is None:
        return ""
    if language == "en" or language not in _SEPARATORS:
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.day:02d}/{value.month:02d}/{value.year}"

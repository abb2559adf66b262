"""Document totals the way EN 16931 computes them. Pure functions on Decimals.

- each line net amount = quantity x unit price, rounded to 2 decimals (BR-DEC-23);
- sum of line net amounts (BT-106) = sum of the rounded line amounts;
- per VAT category and rate: taxable amount = sum of its line amounts (BR-S-08 …),
  VAT = taxable x rate / 100 rounded to 2 decimals (BR-CO-17);
- total VAT (BT-110) = sum of the per-category VAT amounts;
- amount due (BT-115) = total with VAT - prepaid amount.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    exemption_reason: str = ""

    @property
    def net_amount(self) -> Decimal:
        return round_money(self.quantity * self.unit_price)


@dataclass(frozen=True)
class VatSubtotal:
    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason: str


@dataclass(frozen=True)
class Totals:
    line_extension: Decimal
    tax_exclusive: Decimal
    tax_total: Decimal
    tax_inclusive: Decimal
    prepaid: Decimal
    payable: Decimal
    vat_breakdown: tuple[VatSubtotal, ...]


def rate_key(rate: Decimal) -> Decimal:
    """21, 21.0 and 21.00 are one rate. Plain normalize() would turn 20 into 2E+1."""
    return rate.quantize(CENT).normalize() if rate % 1 else rate.quantize(Decimal(1))


def vat_breakdown(lines: Iterable[LineAmounts]) -> tuple[VatSubtotal, ...]:
    groups: dict[tuple[str, Decimal], list[LineAmounts]] = {}
    for line in lines:
        groups.setdefault((line.vat_category, rate_key(line.vat_rate)), []).append(line)
    subtotals = []
    for (category, rate), members in sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1])
    ):
        taxable = sum((line.net_amount for line in members), Decimal("0.00"))
        reason = next((line.exemption_reason for line in members if line.exemption_reason), "")
        subtotals.append(
            VatSubtotal(
                category=category,
                rate=rate,
                taxable_amount=taxable,
                tax_amount=round_money(taxable * rate / 100),
                exemption_reason=reason,
            )
        )
    return tuple(subtotals)


def compute_totals(lines: Iterable[LineAmounts], prepaid: Decimal = Decimal("0")) -> Totals:
    lines = list(lines)
    line_extension = sum((line.net_amount for line in lines), Decimal("0.00"))
    breakdown = vat_breakdown(lines)
    tax_total = sum((sub.tax_amount for sub in breakdown), Decimal("0.00"))
    tax_inclusive = line_extension + tax_total
    prepaid = round_money(prepaid)
    return Totals(
        line_extension=line_extension,
        tax_exclusive=line_extension,
        tax_total=tax_total,
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        payable=tax_inclusive - prepaid,
        vat_breakdown=breakdown,
    )

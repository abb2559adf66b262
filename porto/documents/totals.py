"""Document totals the way EN 16931 computes them. Pure functions on Decimals.

- a line's gross amount = quantity x (unit price / price base quantity), rounded to 2 decimals;
- a line or document allowance or charge given as a percentage = base x percentage / 100,
  rounded to 2 decimals (PEPPOL-EN16931-R040/R041); a line's base defaults to its gross amount,
  a document's to the lines of its VAT category and rate;
- each line net amount (BT-131) = gross + line charges - line allowances (PEPPOL-EN16931-R120);
- sum of line net amounts (BT-106); document allowances (BT-107) and charges (BT-108);
- total without VAT (BT-109) = BT-106 - BT-107 + BT-108 (BR-CO-13);
- per VAT category and rate: taxable amount = its line net amounts + its document charges -
  its document allowances (BR-S-08 …), VAT = taxable x rate / 100 rounded to 2 decimals;
- total VAT (BT-110) = sum of the per-category VAT amounts (BR-CO-14);
- amount due (BT-115) = total with VAT - prepaid amount (BR-CO-16).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Adjustment:
    """An allowance (discount) or a charge, on a line (BG-27/28) or the document (BG-20/21).

    Either ``amount`` is given, or ``percentage`` of ``base`` (the base defaults to what the
    adjustment applies to)."""

    is_charge: bool
    amount: Decimal | None = None
    percentage: Decimal | None = None
    base: Decimal | None = None
    vat_category: str = ""
    vat_rate: Decimal = Decimal("0")

    def resolved_base(self, default_base: Decimal) -> Decimal | None:
        if self.percentage is None:
            return self.base
        return round_money(self.base if self.base is not None else default_base)

    def resolved_amount(self, default_base: Decimal) -> Decimal:
        if self.percentage is None:
            return round_money(self.amount or ZERO)
        base = self.resolved_base(default_base) or ZERO
        return round_money(base * self.percentage / 100)

    def signed(self, default_base: Decimal) -> Decimal:
        amount = self.resolved_amount(default_base)
        return amount if self.is_charge else -amount


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    price_base_quantity: Decimal = Decimal("1")
    adjustments: tuple[Adjustment, ...] = field(default=())

    @property
    def gross_amount(self) -> Decimal:
        base_quantity = self.price_base_quantity or Decimal("1")
        return round_money(self.quantity * self.unit_price / base_quantity)

    @property
    def net_amount(self) -> Decimal:
        gross = self.gross_amount
        return gross + sum((a.signed(gross) for a in self.adjustments), ZERO)


@dataclass(frozen=True)
class VatSubtotal:
    category: str
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class ResolvedAdjustment:
    """A document allowance or charge with its amount and base worked out."""

    is_charge: bool
    amount: Decimal
    base: Decimal | None
    percentage: Decimal | None
    vat_category: str
    vat_rate: Decimal


@dataclass(frozen=True)
class Totals:
    line_extension: Decimal
    allowance_total: Decimal
    charge_total: Decimal
    tax_exclusive: Decimal
    tax_total: Decimal
    tax_inclusive: Decimal
    prepaid: Decimal
    payable: Decimal
    vat_breakdown: tuple[VatSubtotal, ...]
    line_nets: tuple[Decimal, ...] = ()
    adjustments: tuple[ResolvedAdjustment, ...] = ()

    @property
    def fully_prepaid(self) -> bool:
        """Nothing is left to pay, though something was invoiced."""
        return self.payable == 0 and self.prepaid != 0


def rate_key(rate: Decimal) -> Decimal:
    """21, 21.0 and 21.00 are one rate. Plain normalize() would turn 20 into 2E+1."""
    return rate.quantize(CENT).normalize() if rate % 1 else rate.quantize(Decimal(1))


def _category_key(category: str, rate: Decimal) -> tuple[str, Decimal]:
    return category, rate_key(rate)


def resolve_adjustments(
    lines: Sequence[LineAmounts], adjustments: Iterable[Adjustment]
) -> tuple[ResolvedAdjustment, ...]:
    """Document-level allowances and charges with their amounts: a percentage without a base
    applies to the line net amounts of the same VAT category and rate."""
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = _category_key(line.vat_category, line.vat_rate)
        bases[key] = bases.get(key, ZERO) + line.net_amount
    resolved = []
    for adjustment in adjustments:
        default_base = bases.get(_category_key(adjustment.vat_category, adjustment.vat_rate), ZERO)
        resolved.append(
            ResolvedAdjustment(
                is_charge=adjustment.is_charge,
                amount=adjustment.resolved_amount(default_base),
                base=adjustment.resolved_base(default_base),
                percentage=adjustment.percentage,
                vat_category=adjustment.vat_category,
                vat_rate=adjustment.vat_rate,
            )
        )
    return tuple(resolved)


def vat_breakdown(
    lines: Iterable[LineAmounts], adjustments: Iterable[ResolvedAdjustment] = ()
) -> tuple[VatSubtotal, ...]:
    taxable: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = _category_key(line.vat_category, line.vat_rate)
        taxable[key] = taxable.get(key, ZERO) + line.net_amount
    for adjustment in adjustments:
        key = _category_key(adjustment.vat_category, adjustment.vat_rate)
        signed = adjustment.amount if adjustment.is_charge else -adjustment.amount
        taxable[key] = taxable.get(key, ZERO) + signed
    return tuple(
        VatSubtotal(
            category=category,
            rate=rate,
            taxable_amount=amount,
            tax_amount=round_money(amount * rate / 100),
        )
        for (category, rate), amount in sorted(taxable.items())
    )


def compute_totals(
    lines: Iterable[LineAmounts],
    prepaid: Decimal = Decimal("0"),
    adjustments: Iterable[Adjustment] = (),
) -> Totals:
    lines = list(lines)
    resolved = resolve_adjustments(lines, adjustments)
    line_nets = tuple(line.net_amount for line in lines)
    line_extension = sum(line_nets, ZERO)
    allowance_total = sum((a.amount for a in resolved if not a.is_charge), ZERO)
    charge_total = sum((a.amount for a in resolved if a.is_charge), ZERO)
    tax_exclusive = line_extension - allowance_total + charge_total
    breakdown = vat_breakdown(lines, resolved)
    tax_total = sum((sub.tax_amount for sub in breakdown), ZERO)
    tax_inclusive = tax_exclusive + tax_total
    prepaid = round_money(prepaid)
    return Totals(
        line_extension=line_extension,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive=tax_exclusive,
        tax_total=tax_total,
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        payable=tax_inclusive - prepaid,
        vat_breakdown=breakdown,
        line_nets=line_nets,
        adjustments=resolved,
    )

"""Totals the EN 16931 way: round each line, then VAT once per category and rate."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from porto.documents.models import DocumentKind
from porto.documents.services import document_finalize
from porto.documents.totals import (
    Adjustment,
    LineAmounts,
    compute_totals,
    round_money,
    vat_breakdown,
)
from tests.factories import make_client, make_document

D = Decimal


def line(quantity, price, category="S", rate="21") -> LineAmounts:
    return LineAmounts(D(quantity), D(price), category, D(rate))


def by_key(totals):
    return {(sub.category, sub.rate): sub for sub in totals.vat_breakdown}


def test_half_cents_round_up_per_line_before_summing():
    # 3 x 0.335 = 1.005 -> 1.01 per line; summing unrounded amounts would give 10.05.
    totals = compute_totals([line("3", "0.335")] * 10)
    assert totals.line_extension == D("10.10")
    assert totals.tax_total == D("2.12")  # 10.10 x 21 % = 2.121
    assert totals.tax_inclusive == D("12.22")
    assert totals.payable == D("12.22")


def test_vat_is_computed_on_the_category_total_not_per_line():
    lines = [line("1", "0.05")] * 10
    per_line_vat = sum(round_money(item.net_amount * D("0.21")) for item in lines)
    assert per_line_vat == D("0.10")  # 0.0105 -> 0.01, ten times
    totals = compute_totals(lines)
    assert totals.line_extension == D("0.50")
    assert totals.tax_total == D("0.11")  # 0.50 x 21 % = 0.105 -> 0.11, one cent more
    assert totals.tax_inclusive == D("0.61")


def test_mixed_rates_6_12_21_in_one_document():
    totals = compute_totals(
        [
            line("3", "34.50", rate="6"),  # 103.50
            line("7.5", "18.75", rate="12"),  # 140.625 -> 140.63
            line("12", "95.00", rate="21"),  # 1140.00
            line("1", "24.99", rate="21"),  # 24.99
            line("2", "21.35", rate="6"),  # 42.70
            line("125", "0.4269", rate="21"),  # 53.3625 -> 53.36
        ]
    )
    groups = by_key(totals)
    assert set(groups) == {("S", D("6")), ("S", D("12")), ("S", D("21"))}
    assert groups["S", D("6")].taxable_amount == D("146.20")
    assert groups["S", D("6")].tax_amount == D("8.77")  # 8.772
    assert groups["S", D("12")].taxable_amount == D("140.63")
    assert groups["S", D("12")].tax_amount == D("16.88")  # 16.8756
    assert groups["S", D("21")].taxable_amount == D("1218.35")
    assert groups["S", D("21")].tax_amount == D("255.85")  # 255.8535
    assert totals.line_extension == D("1505.18")
    assert totals.tax_total == D("281.50")
    assert totals.tax_inclusive == D("1786.68")


def test_rates_written_differently_are_one_category():
    totals = compute_totals([line("1", "10", rate="21"), line("1", "10", rate="21.00")])
    assert len(totals.vat_breakdown) == 1
    assert totals.vat_breakdown[0].rate == D("21")
    assert str(totals.vat_breakdown[0].rate) == "21"


def test_a_rate_like_20_keeps_a_plain_form():
    # Decimal("20").normalize() is 2E+1; a rate must print the way UBL and people write it.
    (sub,) = vat_breakdown([line("1", "10", rate="20")])
    assert str(sub.rate) == "20"


@pytest.mark.parametrize("category", ["K", "E", "AE", "G"])
def test_zero_rate_categories_are_their_own_subtotal_without_vat(category):
    totals = compute_totals([line("2", "100.005", category, "0"), line("1", "50", "S", "21")])
    groups = by_key(totals)
    exempt = groups[category, D("0")]
    assert exempt.taxable_amount == D("200.01")
    assert exempt.tax_amount == D("0.00")
    assert totals.tax_total == D("10.50")
    assert totals.tax_inclusive == D("260.51")


def test_prepaid_amount_lowers_the_amount_due_only():
    totals = compute_totals([line("4", "250")], prepaid=D("300.004"))
    assert totals.tax_inclusive == D("1210.00")
    assert totals.prepaid == D("300.00")
    assert totals.payable == D("910.00")


def test_prepaid_equal_to_total_leaves_nothing_due():
    totals = compute_totals([line("1", "100")], prepaid=D("121"))
    assert totals.payable == D("0.00")


def test_credit_note_lines_with_a_negative_quantity_round_symmetrically():
    # A returned item: -3 x 0.335 = -1.005 -> -1.01 (half away from zero, like +1.005).
    totals = compute_totals([line("-3", "0.335"), line("10", "1")])
    assert totals.line_extension == D("8.99")
    assert totals.tax_total == D("1.89")  # 8.99 x 21 % = 1.8879
    assert totals.tax_inclusive == D("10.88")


def test_empty_document_totals_are_zero():
    totals = compute_totals([])
    assert (totals.line_extension, totals.tax_total, totals.payable) == (D("0"),) * 3
    assert totals.vat_breakdown == ()


@pytest.mark.django_db
def test_credit_note_totals_are_stored_at_finalization(company):
    client = make_client(company)
    invoice = document_finalize(
        make_document(company, client, lines=[("3", "0.335", "S", "21")] * 10)
    )
    credit = make_document(
        company,
        client,
        kind=DocumentKind.CREDIT_NOTE,
        corrects=invoice,
        lines=[("3", "0.335", "S", "21")] * 4 + [("1", "0.05", "S", "6")],
        prepaid_amount=D("1.00"),
    )
    credit = document_finalize(credit)
    assert credit.number.startswith("CN-")
    assert credit.total_excl_vat == D("4.09")  # 4 x 1.01 + 0.05
    assert credit.total_vat == D("0.85")  # 4.04 x 21 % = 0.8484 -> 0.85; 0.05 x 6 % = 0.003 -> 0.00
    assert credit.total_incl_vat == D("4.94")
    assert credit.amount_due == D("3.94")
    assert invoice.total_incl_vat == D("12.22")


amounts = st.decimals(min_value=D("0"), max_value=D("100000"), places=4)
quantities = st.decimals(min_value=D("-1000"), max_value=D("1000"), places=4)
vat_choices = st.sampled_from(
    [("S", "6"), ("S", "12"), ("S", "21"), ("S", "21.00"), ("K", "0"), ("E", "0"), ("AE", "0")]
)
base_quantities = st.sampled_from([D("1"), D("1"), D("12"), D("100"), D("1000"), D("0.5")])


@st.composite
def adjustments(draw, with_category: bool):
    is_charge = draw(st.booleans())
    category, rate = draw(vat_choices) if with_category else ("", "0")
    if draw(st.booleans()):
        return Adjustment(is_charge, amount=draw(amounts), vat_category=category, vat_rate=D(rate))
    percentage = draw(st.decimals(min_value=D("0"), max_value=D("100"), places=2))
    base = draw(st.none() | amounts)
    return Adjustment(
        is_charge, percentage=percentage, base=base, vat_category=category, vat_rate=D(rate)
    )


@st.composite
def random_lines(draw):
    result = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        category, rate = draw(vat_choices)
        result.append(
            LineAmounts(
                draw(quantities),
                draw(amounts),
                category,
                D(rate),
                price_base_quantity=draw(base_quantities),
                adjustments=tuple(draw(st.lists(adjustments(False), max_size=2))),
            )
        )
    return result


@settings(derandomize=True, deadline=None)
@given(
    random_lines(),
    st.decimals(min_value=D("0"), max_value=D("1000"), places=2),
    st.lists(adjustments(True), max_size=3),
)
def test_totals_follow_en16931_for_any_lines_allowances_and_charges(lines, prepaid, document_adj):
    totals = compute_totals(lines, prepaid, document_adj)
    cent = D("0.01")
    for line_amounts, net in zip(lines, totals.line_nets, strict=True):
        # PEPPOL-EN16931-R120: net = qty x (price / base qty) + charges - allowances.
        gross = round_money(
            line_amounts.quantity * line_amounts.unit_price / line_amounts.price_base_quantity
        )
        changes = [a.signed(gross) for a in line_amounts.adjustments]
        assert net == gross + sum(changes, D("0"))
    for adjustment in totals.adjustments:
        # PEPPOL-EN16931-R040: amount = base x percentage / 100 when both are given.
        if adjustment.percentage is not None:
            assert adjustment.amount == round_money(adjustment.base * adjustment.percentage / 100)
    assert totals.line_extension == sum(totals.line_nets, D("0"))  # BR-CO-10
    assert totals.allowance_total == sum(
        (a.amount for a in totals.adjustments if not a.is_charge), D("0")
    )  # BR-CO-11
    assert totals.charge_total == sum(
        (a.amount for a in totals.adjustments if a.is_charge), D("0")
    )  # BR-CO-12
    assert totals.tax_exclusive == (
        totals.line_extension - totals.allowance_total + totals.charge_total
    )  # BR-CO-13
    assert sum((s.taxable_amount for s in totals.vat_breakdown), D("0")) == totals.tax_exclusive
    assert sum((s.tax_amount for s in totals.vat_breakdown), D("0")) == totals.tax_total
    assert totals.tax_inclusive == totals.tax_exclusive + totals.tax_total  # BR-CO-15
    assert totals.payable == totals.tax_inclusive - totals.prepaid  # BR-CO-16
    for amount in (totals.line_extension, totals.tax_total, totals.tax_inclusive):
        assert amount == amount.quantize(cent)
    for sub in totals.vat_breakdown:
        assert sub.tax_amount == round_money(sub.taxable_amount * sub.rate / 100)
        assert sub.category == "S" or sub.tax_amount == 0


def test_price_on_a_base_quantity_divides_before_rounding():
    # 2,500 envelopes at 42.50 per 1,000: 106.25, not 2,500 x 42.50.
    totals = compute_totals(
        [LineAmounts(D("2500"), D("42.50"), "S", D("21"), price_base_quantity=D("1000"))]
    )
    assert totals.line_extension == D("106.25")
    assert totals.tax_total == D("22.31")  # 22.3125


def test_line_allowance_and_charge_change_the_line_net_amount():
    allowance = Adjustment(False, percentage=D("10"))  # 10 % of the gross 250.00
    charge = Adjustment(True, amount=D("12.50"))
    totals = compute_totals(
        [LineAmounts(D("5"), D("50"), "S", D("21"), adjustments=(allowance, charge))]
    )
    assert totals.line_nets == (D("237.50"),)
    assert totals.tax_total == D("49.88")  # 49.875


def test_document_discount_on_one_rate_of_a_mixed_invoice():
    lines = [line("1", "1000", rate="21"), line("1", "200", rate="6")]
    discount = Adjustment(False, percentage=D("5"), vat_category="S", vat_rate=D("21"))
    transport = Adjustment(True, amount=D("25"), vat_category="S", vat_rate=D("21"))
    totals = compute_totals(lines, adjustments=[discount, transport])
    assert totals.adjustments[0].base == D("1000.00")
    assert totals.adjustments[0].amount == D("50.00")
    assert totals.allowance_total == D("50.00") and totals.charge_total == D("25.00")
    assert totals.tax_exclusive == D("1175.00")
    groups = by_key(totals)
    assert groups["S", D("21")].taxable_amount == D("975.00")
    assert groups["S", D("21")].tax_amount == D("204.75")
    assert groups["S", D("6")].tax_amount == D("12.00")
    assert totals.tax_inclusive == D("1391.75")


def test_a_fully_prepaid_invoice_has_nothing_due():
    totals = compute_totals([line("1", "100")], prepaid=D("121"))
    assert totals.payable == 0 and totals.fully_prepaid
    assert not compute_totals([line("1", "100")]).fully_prepaid

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from porto.lib.formatting import NBSP, NNBSP, format_amount, format_date


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        ("1234.56", "nl", f"1.234,56{NBSP}€"),
        ("1234.56", "fr", f"1{NNBSP}234,56{NBSP}€"),
        ("1234.56", "en", "€1,234.56"),
        ("0.5", "nl", f"0,50{NBSP}€"),
        ("1234567.891", "nl", f"1.234.567,89{NBSP}€"),
        ("999.995", "en", "€1,000.00"),
        ("-42.10", "fr", f"-42,10{NBSP}€"),
        ("-1234.5", "en", "-€1,234.50"),
    ],
)
def test_amounts_per_language(amount, language, expected):
    assert format_amount(Decimal(amount), language) == expected


def test_other_currency_shows_its_code():
    assert format_amount(Decimal("10"), "nl", "USD") == f"10,00{NBSP}USD"
    assert format_amount(Decimal("10"), "en", "USD") == f"USD{NBSP}10.00"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "28/11/2026"), ("fr", "28/11/2026"), ("en", "28 November 2026")],
)
def test_dates_per_language(language, expected):
    assert format_date(datetime.date(2026, 11, 28), language) == expected


def test_single_digit_day_and_month():
    assert format_date(datetime.date(2026, 3, 5), "nl") == "05/03/2026"
    assert format_date(datetime.date(2026, 3, 5), "en") == "5 March 2026"
    assert format_date(None, "nl") == ""


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_formatted_amounts_read_back_as_the_same_number(amount):
    nl = format_amount(amount, "nl").removesuffix(f"{NBSP}€")
    fr = format_amount(amount, "fr").removesuffix(f"{NBSP}€")
    en = format_amount(amount, "en").replace("€", "")

    assert Decimal(nl.replace(".", "").replace(",", ".")) == amount
    assert Decimal(fr.replace(NNBSP, "").replace(",", ".")) == amount
    assert Decimal(en.replace(",", "")) == amount

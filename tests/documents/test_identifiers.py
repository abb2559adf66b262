"""The mod-97 checks and friends: good values are normalised, bad ones get a message that
says what is wrong and how to fix it."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from porto.lib import identifiers as ids


def error_of(cleaner, value) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        cleaner(value)
    return caught.value


def message_of(cleaner, value) -> str:
    return error_of(cleaner, value).messages[0]


# --- KBO/BCE ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0202.239.951", "0202239951"),
        ("0202 239 951", "0202239951"),
        ("BE 0202.239.951", "0202239951"),
        ("202239951", "0202239951"),  # the old 9-digit form gets its leading 0 back
        ("0403-170-701", "0403170701"),
        ("0123456749", "0123456749"),
    ],
)
def test_kbo_valid_numbers_are_normalised(value, expected):
    assert ids.clean_kbo(value) == expected


def test_kbo_wrong_check_digits_says_which_part_and_what_to_do():
    error = error_of(ids.clean_kbo, "0202.239.952")
    assert error.code == "kbo_checksum"
    message = error.messages[0]
    assert "0202.239.952" in message
    assert "check number (last two digits)" in message
    assert "typing mistake" in message


@pytest.mark.parametrize("value", ["0202.239.9", "02022399511", "", "BE", "0202.239.95X"])
def test_kbo_wrong_length_says_ten_digits_with_an_example(value):
    error = error_of(ids.clean_kbo, value)
    assert error.code == "kbo_format"
    assert "10 digits" in error.messages[0]
    assert "like 0123.456.749" in error.messages[0]


def test_kbo_leading_2_is_refused_with_how_to_fix():
    # 2202239951 has correct-looking length; KBO numbers start with 0 or 1.
    error = error_of(ids.clean_kbo, "2202239951")
    assert error.code == "kbo_format"
    assert "starts with 0 or 1" in error.messages[0]
    assert "2202239951" in error.messages[0]
    assert "register" in error.messages[0]


@settings(derandomize=True, deadline=None)
@given(st.integers(min_value=0, max_value=19_999_999))
def test_kbo_from_base_always_passes_the_check(base):
    kbo = ids.kbo_from_base(base)
    assert ids.clean_kbo(kbo) == kbo
    assert ids.format_kbo(kbo).count(".") == 2


@settings(derandomize=True, deadline=None)
@given(st.integers(min_value=0, max_value=19_999_999), st.integers(min_value=1, max_value=96))
def test_kbo_any_other_check_number_fails(base, shift):
    kbo = ids.kbo_from_base(base)
    wrong = (int(kbo[8:]) - 1 + shift) % 97 + 1  # another value in 1..97
    with pytest.raises(ValidationError):
        ids.clean_kbo(f"{kbo[:8]}{wrong:02d}")


# --- VAT --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("BE0202239951", "BE0202239951"),
        ("be 0202.239.951", "BE0202239951"),
        ("BE202239951", "BE0202239951"),
        ("NL859271603B01", "NL859271603B01"),
        ("FR 40 303 265 045", "FR40303265045"),
        ("DE136695976", "DE136695976"),
    ],
)
def test_vat_valid_numbers_are_normalised(value, expected):
    assert ids.clean_vat(value) == expected


def test_belgian_vat_with_wrong_check_digits_explains_the_kbo_part():
    error = error_of(ids.clean_vat, "BE0202239952")
    assert error.code == "vat_be"
    message = error.messages[0]
    assert "not a valid Belgian VAT number" in message
    assert "check number (last two digits)" in message


def test_belgian_vat_of_wrong_length():
    message = message_of(ids.clean_vat, "BE02022399")
    assert "not a valid Belgian VAT number" in message
    assert "10 digits" in message


@pytest.mark.parametrize("value", ["0202239951", "12", "", "1BE0202239951"])
def test_vat_without_country_code_says_to_start_with_it(value):
    error = error_of(ids.clean_vat, value)
    assert error.code == "vat_format"
    assert "starts with the country code" in error.messages[0]
    assert "BE0123456749" in error.messages[0]


def test_nine_digit_kbo_typo_is_reported_as_check_number():
    # Nine digits are read as the old form without the leading 0, so a dropped digit shows
    # up as a wrong check number rather than a wrong length.
    assert error_of(ids.clean_kbo, "0202.239.95").code == "kbo_checksum"


@pytest.mark.parametrize("value", ["NL859271603B01XXXXXXXX", "FRAB", "DE1234567", "NLABCDEFGHIJ"])
def test_foreign_vat_of_the_wrong_shape_shows_the_right_shape(value):
    message = message_of(ids.clean_vat, value)
    assert "does not look like an EU VAT number" in message
    assert "8 to 14 letters and digits" in message


# --- IBAN and BIC -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("BE68 5390 0754 7034", "BE68539007547034"),
        ("be68539007547034", "BE68539007547034"),
        ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606"),
    ],
)
def test_iban_published_examples_are_valid(value, expected):
    assert ids.clean_iban(value) == expected
    assert ids.format_iban(expected).replace(" ", "") == expected


@pytest.mark.parametrize(
    "value",
    [
        "BE69 5390 0754 7034",  # check digits changed
        "BE68 5390 0754 7043",  # two digits swapped
        "NL91 ABNA 0417 1643 01",
        "FR14 2004 1010 0505 0001 3M02 607",
    ],
)
def test_iban_wrong_checksum_says_typing_mistake(value):
    error = error_of(ids.clean_iban, value)
    assert error.code == "iban_checksum"
    assert "wrong checksum" in error.messages[0]
    assert "typing mistake" in error.messages[0]
    assert value in error.messages[0]


def test_iban_wrong_length_says_expected_and_actual_length():
    error = error_of(ids.clean_iban, "BE68 5390 0754 703")
    assert error.code == "iban_length"
    message = error.messages[0]
    assert "A BE IBAN has 16 characters" in message
    assert "has 15" in message
    assert "missing or extra digit" in message


@pytest.mark.parametrize("value", ["", "68BE53900754", "BEXX53900754", "BE6"])
def test_not_an_iban_at_all_gets_an_example(value):
    error = error_of(ids.clean_iban, value)
    assert error.code == "iban_format"
    assert "like BE68 5390 0754 7034" in error.messages[0]


@settings(derandomize=True, deadline=None)
@given(st.integers(min_value=0, max_value=9_999_999_999))
def test_belgian_iban_builder_gives_valid_ibans(account):
    iban = ids.belgian_iban(account)
    assert ids.clean_iban(iban) == iban
    assert len(iban) == 16


@pytest.mark.parametrize(
    ("value", "expected"),
    [("GKCCBEBB", "GKCCBEBB"), ("kredbebb", "KREDBEBB"), ("DEUT DE FF 500", "DEUTDEFF500")],
)
def test_bic_valid(value, expected):
    assert ids.clean_bic(value) == expected


@pytest.mark.parametrize("value", ["GKCCBE", "GKCCBEBB1", "12CCBEBB", "GKCCBEBB12345"])
def test_bic_invalid_says_8_or_11_with_example(value):
    error = error_of(ids.clean_bic, value)
    assert error.code == "bic_format"
    assert "8 or 11 letters and digits" in error.messages[0]
    assert "GKCCBEBB" in error.messages[0]


# --- Structured communication -----------------------------------------------------------------


def test_structured_communication_known_example():
    assert ids.structured_communication(909337554) == "+++090/9337/55493+++"
    assert ids.clean_structured_communication("+++090/9337/55493+++") == "+++090/9337/55493+++"
    assert ids.clean_structured_communication("090933755493") == "+++090/9337/55493+++"


def test_structured_communication_zero_remainder_becomes_97():
    base = 97 * 12345
    assert base % 97 == 0
    ogm = ids.structured_communication(base)
    assert ogm == "+++000/1197/46597+++"
    assert ogm.endswith("97+++")
    assert ids.clean_structured_communication(ogm) == ogm
    with pytest.raises(ValidationError):
        ids.clean_structured_communication("+++000/1197/46500+++")


@settings(derandomize=True, deadline=None)
@given(st.integers(min_value=0, max_value=10**10 - 1))
def test_structured_communication_round_trip(base):
    ogm = ids.structured_communication(base)
    assert len(ogm) == 20
    assert ids.clean_structured_communication(ogm) == ogm
    assert 1 <= int(ogm[-5:-3]) <= 97


def test_structured_communication_base_out_of_range():
    with pytest.raises(ValueError, match="at most 10 digits"):
        ids.structured_communication(10**10)


def test_structured_communication_wrong_check_number():
    error = error_of(ids.clean_structured_communication, "+++090/9337/55494+++")
    assert error.code == "ogm_checksum"
    assert "wrong check number (last two digits)" in error.messages[0]
    assert "+++090/9337/55494+++" in error.messages[0]


def test_structured_communication_wrong_length_says_how_many_digits():
    error = error_of(ids.clean_structured_communication, "+++090/9337/5549+++")
    assert error.code == "ogm_format"
    assert "has 12 digits, like +++090/9337/55493+++" in error.messages[0]
    assert "has 11" in error.messages[0]


# --- Email syntax -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jan@klant.example", "jan@klant.example"),
        ("  Jan.Peeters@Klant.Example ", "Jan.Peeters@klant.example"),
        ("élise@société.example", "élise@société.example"),
        ("facturatie@ghost-imports.invalid", "facturatie@ghost-imports.invalid"),
        ("Jan@Ghost.INVALID", "Jan@ghost.invalid"),
    ],
)
def test_email_valid_addresses_are_normalised(value, expected):
    assert ids.clean_email_address(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "jan@klant.example\r\nBcc: victim@else.example",
        "jan@klant.example\n",
        "jan\r@klant.example",
    ],
)
def test_email_with_line_break_is_refused(value):
    error = error_of(ids.clean_email_address, value)
    assert "cannot contain a line break" in error.messages[0]
    assert "one line" in error.messages[0]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("jan.klant.example", "@-sign"),
        ("jan@", "@-sign"),
        ("jan@@klant.example", "@-sign"),
        ("jan @klant.example", "invalid character"),
        ("jan@klant", "period"),
        ("jan@klant.test", "special-use"),
    ],
)
def test_email_invalid_says_the_address_and_why(value, reason):
    error = error_of(ids.clean_email_address, value)
    assert error.code == "email"
    message = error.messages[0]
    assert message.startswith(f"{value} is not a valid email address:")
    assert reason in message


def test_email_none_or_empty_is_an_error_not_a_crash():
    assert "not a valid email address" in message_of(ids.clean_email_address, "")
    assert "not a valid email address" in message_of(ids.clean_email_address, None)

"""Peppol endpoint schemes: named, and the identifier checked where its shape is known."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from porto.clients.schemes import SCHEMES, clean_endpoint_id, gln_check_digit, scheme_choices


def test_the_common_schemes_are_named_with_four_digits():
    expected = {"0208", "9925", "0106", "0009", "0002", "0192", "9930", "0088", "0060", "0190"}
    assert expected | {"9944", "9957", "0204", "0007", "0184", "0037", "0151"} <= set(SCHEMES)
    assert all(len(code) == 4 and code.isdigit() for code in SCHEMES)
    assert scheme_choices()[0] == ("0208", "0208: Belgian company number (KBO/BCE)")


def test_a_kbo_endpoint_is_stored_as_ten_digits():
    assert clean_endpoint_id("0208", "0123.456.749") == "0123456749"
    assert clean_endpoint_id("0208", " 0123 456 749 ") == "0123456749"


def test_a_kbo_endpoint_with_a_wrong_check_number_is_refused_naming_the_scheme():
    with pytest.raises(ValidationError) as refused:
        clean_endpoint_id("0208", "0123456748")
    assert refused.value.messages == [
        "With scheme 0208 the identifier is the client's KBO/BCE number: The KBO/BCE number "
        "0123456748 has a wrong check number (last two digits): check it for a typing mistake."
    ]


def test_a_belgian_vat_endpoint_gets_its_country_code():
    assert clean_endpoint_id("9925", "be 0123.456.749") == "BE0123456749"
    assert clean_endpoint_id("9925", "0123456749") == "BE0123456749"


def test_a_foreign_vat_number_is_refused_for_the_belgian_vat_scheme():
    with pytest.raises(ValidationError) as refused:
        clean_endpoint_id("9925", "NL859271603B01")
    assert refused.value.messages == [
        "With scheme 9925 the identifier is a Belgian VAT number, like BE0123456749; "
        "NL859271603B01 is not Belgian."
    ]


def test_a_wrong_belgian_vat_endpoint_is_refused_with_the_reason():
    with pytest.raises(ValidationError) as refused:
        clean_endpoint_id("9925", "BE0123456748")
    assert refused.value.messages[0].startswith(
        "With scheme 9925 the identifier is the client's Belgian VAT number: "
        "BE0123456748 is not a valid Belgian VAT number"
    )


@pytest.mark.parametrize("gln", ["5412345000013", "4000001000005", "8712345678906"])
def test_a_gln_with_its_check_digit_is_accepted(gln):
    assert clean_endpoint_id("0088", gln) == gln


def test_gln_check_digit_follows_gs1():
    assert gln_check_digit("541234500001") == 3
    assert gln_check_digit("400000100000") == 5


def test_a_gln_with_a_wrong_check_digit_is_refused():
    with pytest.raises(ValidationError) as refused:
        clean_endpoint_id("0088", "5412345000014")
    assert refused.value.messages == [
        "The GLN 5412345000014 has a wrong check digit (the last digit): "
        "check it for a typing mistake."
    ]


@pytest.mark.parametrize("wrong", ["541234500001", "54123450000133", "541234500001A"])
def test_a_gln_that_is_not_thirteen_digits_is_refused(wrong):
    with pytest.raises(ValidationError) as refused:
        clean_endpoint_id("0088", wrong)
    assert refused.value.messages == [f"A GLN has 13 digits, like 5412345000013; {wrong} does not."]


def test_other_schemes_keep_the_identifier_without_spaces():
    assert clean_endpoint_id("0106", "1234 5678") == "12345678"
    assert clean_endpoint_id("0204", "991-01234-56") == "991-01234-56"


def test_scheme_names_follow_the_language():
    with translation.override("en"):
        assert dict(scheme_choices())["0088"] == "0088: Global Location Number (GLN)"

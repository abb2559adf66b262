"""The character rules of typed text (porto.lib.text) and of addresses and sender names
(porto.lib.identifiers), one case per kind of hostile character."""

import pytest
from django.core.exceptions import ValidationError

from porto.lib.identifiers import clean_email_address, clean_sender_name
from porto.lib.text import clean_multi_line, clean_single_line

ONE_LINE = "The field “name” must be on one line: remove the line break."


@pytest.mark.parametrize("char", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_a_single_line_field_refuses_every_line_break(char):
    with pytest.raises(ValidationError) as caught:
        clean_single_line(f"Acme{char}BV", "name")
    assert caught.value.messages == [ONE_LINE]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\t", "\x7f", "\x80", "\x9b"])
def test_a_single_line_field_refuses_control_characters(char):
    with pytest.raises(ValidationError) as caught:
        clean_single_line(f"Acme{char}BV", "name")
    assert caught.value.messages == [
        f"The field “name” contains an invisible control character (U+{ord(char):04X}): remove it, "
        "for example by typing the text again instead of pasting it."
    ]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\r", "\x7f", "\x85", "\x9f", "\u2028"])
def test_a_multi_line_field_refuses_controls_other_than_line_feed_and_tab(char):
    with pytest.raises(ValidationError) as caught:
        clean_multi_line(f"Line one{char}line two", "description")
    assert caught.value.messages == [
        f"The field “description” contains an invisible control character (U+{ord(char):04X}): "
        "remove it, for example by typing the text again instead of pasting it."
    ]


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
@pytest.mark.parametrize("clean", [clean_single_line, clean_multi_line])
def test_direction_overrides_are_refused_in_both_kinds(clean, char):
    with pytest.raises(ValidationError) as caught:
        clean(f"invoice{char}fdp.exe", "description")
    assert caught.value.messages == [
        "The field “description” contains an invisible character that changes the reading direction "
        f"(U+{ord(char):04X}): remove it, so the text reads as it is stored."
    ]


def test_a_multi_line_field_keeps_line_feeds_crlf_and_tabs():
    value = "Dag 1:\tanalyse\r\nDag 2:\tbouw\nKlaar"
    assert clean_multi_line(value, "description") == value


def test_ordinary_text_passes_both_kinds():
    value = "Société « L'Écluse » — 12,5 % € ☕ עברית العربية"
    assert clean_single_line(value, "name") == value
    assert clean_multi_line(value, "description") == value


def test_a_local_part_of_65_characters_is_refused():
    address = "a" * 65 + "@kbc.example"
    with pytest.raises(ValidationError) as caught:
        clean_email_address(address)
    assert caught.value.messages == [
        f"{address} is not a valid email address: the part before the @ has 65 characters, "
        "and mail servers accept at most 64."
    ]


def test_a_local_part_of_64_characters_is_accepted():
    address = "a" * 64 + "@kbc.example"
    assert clean_email_address(address) == address


@pytest.mark.parametrize(
    "name", ["billing@kbc.example", "KBC <billing@kbc.example>", '"billing@kbc.example"']
)
def test_a_sender_name_that_looks_like_an_address_is_refused(name):
    with pytest.raises(ValidationError) as caught:
        clean_sender_name(name)
    assert caught.value.code == "sender_name_address"
    assert f"The sender name {name} looks like an email address" in caught.value.messages[0]


@pytest.mark.parametrize("name", ["Acme BV", "Bakkerij @ de Markt", "Info@Home", ""])
def test_a_sender_name_that_is_a_name_is_accepted(name):
    assert clean_sender_name(name) == name

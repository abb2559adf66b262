"""porto.lib.headers: the one door for header values. Text is checked after decoding
encoded-words; addresses are parsed strictly, one per entry; built values are never decoded."""

import base64
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from porto.lib.headers import (
    Mailbox,
    address_key,
    decoded_forms,
    envelope_address,
    header_text,
    is_header_safe,
    mailbox_list_value,
    mailbox_value,
    needs_smtputf8,
    parse_mailbox,
    same_address,
    split_entries,
    unstructured_value,
)

BCC = "Jan\r\nBcc: spy@evil.example"
HIDDEN = {
    "q encoded-word with CR LF": "=?utf-8?q?Jan=0D=0ABcc:_spy@evil.example?=",
    "b encoded-word with CR LF": f"=?utf-8?b?{base64.b64encode(BCC.encode()).decode()}?=",
    "q encoded-word with a bare LF": "=?utf-8?q?Jan=0ABcc:_spy@evil.example?=",
    "encoded-word with NUL": "=?utf-8?q?Jan=00?=",
    "encoded-word inside a word": "Factuur=?utf-8?q?=0D=0A?=Bcc",
    "latin-1 encoded-word with CR": "=?iso-8859-1?q?Jan=0D?=",
    "upper-case Q": "=?UTF-8?Q?Jan=0D=0ABcc:_x@y.example?=",
    "b encoded-word without its padding": "=?utf-8?b?SmFuDQpCY2M6IHNweUBldmlsLmV4YW1wbGU?=",
}
LITERAL = {
    "CR LF": BCC,
    "bare LF": "Jan\nBcc: spy@evil.example",
    "bare CR": "Jan\rBcc",
    "NUL": "Jan\x00",
    "escape": "Jan\x1b[31m",
    "line separator U+2028": "Jan\u2028Bcc: x@y.example",
    "paragraph separator U+2029": "Jan\u2029",
    "next line U+0085": "Jan\u0085Bcc",
    "delete": "Jan\x7f",
}


def controls(text: str) -> bool:
    return any(ch in text for ch in "\r\n\x00")


@pytest.mark.parametrize("value", LITERAL.values(), ids=LITERAL.keys())
def test_header_text_refuses_literal_control_characters(value):
    with pytest.raises(ValidationError) as caught:
        header_text(value, "subject")
    assert caught.value.code == "header_injection"
    assert caught.value.messages == [
        "The subject contains a line break or another control character: write it on one line."
    ]


@pytest.mark.parametrize("value", HIDDEN.values(), ids=HIDDEN.keys())
def test_header_text_refuses_encoded_words_that_decode_to_control_characters(value):
    with pytest.raises(ValidationError) as caught:
        header_text(value, "sender name")
    assert caught.value.messages == [
        "The sender name contains an encoded word (“=?…?=”) that hides a line break or "
        "another control character: write it as plain text."
    ]


@pytest.mark.parametrize("value", [*HIDDEN.values(), *LITERAL.values()])
def test_neutralised_text_has_no_control_character_even_after_decoding(value):
    cleaned = header_text(value, neutralise=True)
    assert is_header_safe(cleaned)
    assert not any(controls(form) for form in decoded_forms(cleaned))


def test_header_text_keeps_harmless_encoded_words_and_tabs_become_spaces():
    assert header_text("=?utf-8?q?Caf=C3=A9?=") == "=?utf-8?q?Caf=C3=A9?="
    assert header_text("  Factuur\t2026  ") == "Factuur 2026"


@given(st.text())
def test_header_text_never_returns_a_control_character_even_after_decoding(value):
    try:
        result = header_text(value)
    except ValidationError:
        result = header_text(value, neutralise=True)
    decodings = [result, str(make_header(decode_header(result))) if "=?" in result else result]
    assert not any(controls(text) for text in decodings + decoded_forms(result))


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_a_built_subject_decodes_back_to_the_literal_text(value):
    safe = header_text(value, neutralise=True)
    built = unstructured_value(safe)
    assert built.isascii()
    assert str(make_header(decode_header(built))) == safe


def test_an_encoded_word_typed_by_a_person_is_encoded_so_it_reads_literally():
    built = unstructured_value("=?utf-8?q?Caf=C3=A9?=")
    assert "=?utf-8?q?Caf" not in built
    assert str(make_header(decode_header(built))) == "=?utf-8?q?Caf=C3=A9?="


# Addresses


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jan@example.com", Mailbox("", "jan@example.com")),
        ("<jan@example.com>", Mailbox("", "jan@example.com")),
        ("Jan Peeters <jan@example.com>", Mailbox("Jan Peeters", "jan@example.com")),
        ('"Janssens, Jan" <jan@example.com>', Mailbox("Janssens, Jan", "jan@example.com")),
        (
            r'"Jan \"de Baas\" Peeters" <jan@example.com>',
            Mailbox('Jan "de Baas" Peeters', "jan@example.com"),
        ),
        ("Zoë Økonomi <zoe@bäckerei.example>", Mailbox("Zoë Økonomi", "zoe@bäckerei.example")),
        ("josé@example.com", Mailbox("", "josé@example.com")),
    ],
)
def test_one_address_per_entry_is_parsed_with_its_display_name(value, expected):
    assert parse_mailbox(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "spy@evil.example <x> <jan@example.com>",
        "jan@example.com, spy@evil.example",
        "Jan <jan@example.com> spy@evil.example",
        "Jan <jan@example.com>, <spy@evil.example>",
        "friends: jan@example.com, spy@evil.example;",
        "Jan jan@example.com",
        "jan@example.com <spy@evil.example>",
        "Jan <jan>",
        "",
    ],
)
def test_anything_but_one_address_is_refused(value):
    with pytest.raises(ValidationError) as caught:
        parse_mailbox(value)
    assert caught.value.code == "email"


@pytest.mark.parametrize(
    "value",
    [
        "=?utf-8?q?spy=40evil.example?=@example.com",
        "=?utf-8?q?Jan?= <jan@example.com>",
        "Jan <=?utf-8?q?spy=40evil.example?=@example.com>",
    ],
)
def test_an_encoded_word_in_an_address_entry_is_refused(value):
    with pytest.raises(ValidationError) as caught:
        parse_mailbox(value)
    assert caught.value.code == "encoded_word"


@pytest.mark.parametrize(
    "value",
    [
        "jan@example.com\r\nBcc: spy@evil.example",
        "Jan\nBcc: spy@evil.example <jan@example.com>",
        "=?utf-8?q?Jan=0D=0ABcc:_spy@evil.example?= <jan@example.com>",
        "jan@example.com\x00",
    ],
)
def test_a_line_break_in_an_address_entry_is_refused(value):
    with pytest.raises(ValidationError) as caught:
        parse_mailbox(value)
    assert caught.value.code == "header_injection"


def test_a_list_of_mailboxes_keeps_quotes_and_commas_in_display_names():
    built = mailbox_list_value(
        [Mailbox("Janssens, Jan", "jan@example.com"), Mailbox('Jan "de Baas"', "b@x.example")]
    )
    assert built == '"Janssens, Jan" <jan@example.com>,\r\n "Jan \\"de Baas\\"" <b@x.example>'


def test_a_display_name_that_looks_like_an_encoded_word_is_encoded_itself():
    built = mailbox_list_value([Mailbox("=?utf-8?q?spy=40evil.example?=", "jan@example.com")])
    name, address = built.rsplit(" ", 1)
    assert address == "<jan@example.com>"
    assert "spy=40" not in name
    assert str(make_header(decode_header(name))) == "=?utf-8?q?spy=40evil.example?="


# Comparing and sending


def test_domains_go_out_as_idna():
    assert envelope_address("jan@bäckerei.example") == "jan@xn--bckerei-5wa.example"
    assert envelope_address("josé@Example.COM") == "josé@example.com"


def test_the_unicode_and_idna_spellings_of_one_address_are_the_same():
    assert same_address("jan@Bäckerei.example", "JAN@xn--bckerei-5wa.example")
    assert address_key("Jan@EXAMPLE.com") == "jan@example.com"
    assert not same_address("jan@bäckerei.example", "jan@backerei.example")


def test_only_a_local_part_outside_ascii_needs_smtputf8():
    assert needs_smtputf8("josé@example.com")
    assert not needs_smtputf8("jan@bäckerei.example")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "a@b.example, c@d.example is niet één e-mailadres"),
        ("fr", "a@b.example, c@d.example n'est pas une seule adresse e-mail"),
    ],
)
def test_the_refusals_are_translated(language, expected):
    with translation.override(language), pytest.raises(ValidationError) as caught:
        parse_mailbox("a@b.example, c@d.example")
    assert caught.value.messages[0].startswith(expected)


def test_a_stored_address_that_could_split_a_header_cannot_be_sent():
    with pytest.raises(ValueError, match="cannot be used as an email address"):
        envelope_address("jan@example.com\r\nBcc: spy@evil.example")
    with pytest.raises(ValueError):
        envelope_address("jan@example.com, spy@evil.example")


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        (
            '"Janssens, Jan" <jan@example.com>; piet@example.com',
            ['"Janssens, Jan" <jan@example.com>', "piet@example.com"],
        ),
        ("a@b.example, c@d.example", ["a@b.example", "c@d.example"]),
        (r'"Jan \", de Baas" <jan@example.com>', [r'"Jan \", de Baas" <jan@example.com>']),
        ("spy@evil.example <x> <jan@example.com>", ["spy@evil.example <x> <jan@example.com>"]),
        (" , ;", []),
    ],
)
def test_typed_entries_split_only_outside_quotes_and_brackets(text, entries):
    assert split_entries(text) == entries


NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]),
    max_size=40,
)


@given(NAMES)
def test_any_display_name_goes_out_as_exactly_one_mailbox_with_that_name(name):
    built = mailbox_value(Mailbox(name, "jan@bäckerei.example"))
    parsed = HeaderRegistry()("to", built.replace("\r\n", ""))  # unfolded, as a reader does
    [address] = parsed.addresses
    assert address.addr_spec == "jan@xn--bckerei-5wa.example"
    # Python reads the space between two encoded-words of a phrase as text (RFC 2047 says
    # to drop it): compare without whitespace.
    assert "".join(address.display_name.split()) == "".join(name.split())

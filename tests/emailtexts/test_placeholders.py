"""The placeholder language: exact errors, no template engine, escaped HTML."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from porto.emailtexts import placeholders
from porto.emailtexts.placeholders import PLACEHOLDERS, Placeholder

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS}


def messages(text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        placeholders.parse(text)
    return caught.value.messages


def test_parses_literals_and_placeholders():
    assert placeholders.parse("Factuur {document_number} van {company_name}") == [
        "Factuur ",
        Placeholder("document_number"),
        " van ",
        Placeholder("company_name"),
    ]


def test_double_braces_are_literal_braces():
    segments = placeholders.parse("{{client_name}} and }} and {{")
    assert segments == ["{client_name} and } and {"]


def test_unknown_placeholder_is_named_with_a_suggestion():
    assert messages("Beste {clientname},") == [
        "Unknown placeholder {clientname}: did you mean {client_name}?"
    ]


def test_unknown_placeholder_without_a_near_name_lists_the_known_ones():
    [message] = messages("{weather}")
    assert message.startswith("Unknown placeholder {weather}: use one of {document_number}")


def test_every_problem_is_reported_at_once():
    found = messages("{foo} en {bar}")
    assert len(found) == 2
    assert "{foo}" in found[0] and "{bar}" in found[1]


def test_unclosed_brace_is_named():
    [message] = messages("Te betalen voor {due_date")
    assert "“{due_date” is never closed" in message


def test_brace_opened_twice_is_unclosed():
    found = messages("{client_name {due_date}")
    assert any("“{client_name {due_date}” is never closed" in m for m in found)


def test_stray_closing_brace_is_named():
    [message] = messages("Bedrag: amount_due}")
    assert "“Bedrag: amount_due}” has no opening brace" in message


@pytest.mark.parametrize("text", ["{}", "{ client_name }", "{client-name}", "{{%}", "{{{x}}}"])
def test_malformed_placeholders_are_errors(text):
    assert messages(text)


def test_template_engine_syntax_is_not_executed():
    found = messages("{% load static %}{{ settings.SECRET_KEY }}")
    assert found  # "{%" is a malformed placeholder, not a template tag
    segments = placeholders.parse("{{ settings.SECRET_KEY }}")
    assert placeholders.render_text(segments, VALUES) == "{ settings.SECRET_KEY }"


def test_html_escapes_text_and_values_and_keeps_paragraphs():
    segments = placeholders.parse("Dear {client_name},\n\n<b>Pay</b> {amount_due}\nnow")
    values = VALUES | {"client_name": '<script>alert("x")</script>', "amount_due": "5 & 6"}

    html = placeholders.render_html(segments, values)

    assert html == (
        "<p>Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,</p>\n"
        "<p>&lt;b&gt;Pay&lt;/b&gt; 5 &amp; 6<br>\nnow</p>"
    )


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=200))
def test_text_without_braces_renders_as_itself(text):
    segments = placeholders.parse(text)
    assert placeholders.render_text(segments, VALUES) == text


@given(st.lists(st.one_of(st.sampled_from(sorted(PLACEHOLDERS)), st.text("ab {}", max_size=5))))
def test_parse_either_renders_every_placeholder_or_raises(parts):
    text = "".join("{" + p + "}" if p in PLACEHOLDERS else p for p in parts)
    try:
        segments = placeholders.parse(text)
    except ValidationError as error:
        assert error.messages
        return
    rendered = placeholders.render_text(segments, {n: "" for n in PLACEHOLDERS})
    for name in PLACEHOLDERS:
        assert "{" + name + "}" not in rendered or "{{" + name + "}}" in text

"""An email's HTML body made of plain paragraphs (an email text rendered for a document, or a
plain-text body) is cleaned without nh3 parsing it again, and comes out byte for byte as nh3
writes it: over every hostile value of the catalogue, as the text and as a placeholder's
value, and over generated text. Any other body still goes through the danger check and nh3."""

import html

import nh3
import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape, linebreaks
from hypothesis import given, settings
from hypothesis import strategies as st

from porto.emailtexts import placeholders
from porto.mail import checks
from tests.emailtexts.test_placeholders import VALUES
from tests.hostile.catalogue import CATALOGUE

HOSTILE_TEXTS = sorted(
    {entry.built() for entry in CATALOGUE if isinstance(entry.value, str)}
    | {'Tom & Jerry\'s "café"\xa0BV', "a\r\nb", "a\rb", "x\x00y", "&amp; &copy; &#39;"}
)
TEXT = (
    "Beste {contact_name},\n\nIn bijlage factuur {document_number}.\n{payment_request}\n\nGroeten"
)


def as_nh3_cleans(body: str) -> str:
    """The body cleaned the way every body was before: the danger check, then nh3."""
    finder = checks._DangerFinder()
    finder.feed(body)
    finder.close()
    assert not finder.found
    return nh3.clean(body, link_rel="noopener noreferrer")


def rendered_bodies(value: str) -> list[str]:
    """``value`` in every place a plain body can hold it."""
    as_text = placeholders.render_html(
        placeholders.parse(value.replace("{", "{{").replace("}", "}}")), {}
    )
    as_value = placeholders.render_html(
        placeholders.parse(TEXT), VALUES | {"contact_name": value, "payment_request": value}
    )
    return [body for body in (as_text, as_value, str(linebreaks(escape(value)))) if body]


def assert_cleaned_as_nh3_does(value: str) -> None:
    for body in rendered_bodies(value):
        assert checks.clean_html_body(body) == as_nh3_cleans(body), body


@pytest.mark.parametrize("value", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
def test_a_hostile_value_in_a_plain_body_is_cleaned_exactly_as_nh3_cleans_it(value):
    assert_cleaned_as_nh3_does(value)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",))))  # no lone surrogate: nh3 refuses
def test_any_text_in_a_plain_body_is_cleaned_exactly_as_nh3_cleans_it(value):
    assert_cleaned_as_nh3_does(value)


def test_a_rendered_email_text_is_not_parsed_again(monkeypatch):
    """What the bulk send saves: no nh3 call for a text rendered with ordinary values, and
    the three characters nh3 writes otherwise written as it writes them."""
    body = placeholders.render_html(
        placeholders.parse(TEXT),
        VALUES | {"contact_name": 'Tom & Jerry\'s "café"\xa0BV <info@tj.example>'},
    )
    expected = as_nh3_cleans(body)

    def parsed_again(*args, **kwargs):
        raise AssertionError("nh3 was called")

    monkeypatch.setattr(checks.nh3, "clean", parsed_again)
    assert checks.clean_html_body(body) == expected
    assert 'Tom &amp; Jerry\'s "café"&nbsp;BV &lt;info@tj.example&gt;' in expected


@pytest.mark.parametrize(
    "body",
    [
        "<p>a</p><p>b</p>",  # no line feed between the paragraphs
        "<p><b</p>\n<p>r>\n</p>",  # pieces that would make a tag once the breaks are taken out
        "<p>a\rb</p>",  # the parser turns CR into a line feed
        "<p>&copy; &#39;</p>",  # entities html.escape never writes
        '<p><a href="https://acme.example">site</a></p>',
        "<p>x</p>\n<p>y",
    ],
)
def test_any_other_body_goes_through_nh3(monkeypatch, body):
    expected = as_nh3_cleans(body)
    calls = []
    clean = nh3.clean
    monkeypatch.setattr(checks.nh3, "clean", lambda *a, **k: calls.append(a) or clean(*a, **k))
    assert checks.clean_html_body(body) == expected
    assert calls == [(body,)]


def test_a_script_after_plain_paragraphs_is_still_refused():
    with pytest.raises(ValidationError, match="emails cannot run scripts"):
        checks.clean_html_body("<p>Hi</p>\n<p>there</p><script>alert(1)</script>")
    assert checks.clean_html_body(f"<p>{html.escape('<script>')}</p>") == "<p>&lt;script&gt;</p>"

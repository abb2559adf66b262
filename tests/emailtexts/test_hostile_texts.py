"""Hostile input in email texts: other template languages' syntax is ordinary text, a real
unknown placeholder is still refused, control characters are refused in the subject and the
body, and the body has the one limit every email has."""

import pytest

from porto.emailtexts import placeholders
from porto.emailtexts.models import BODY_MAX_CHARS, EmailText
from porto.emailtexts.services import email_text_for
from porto.lib import text
from porto.mail.send import limits
from tests.emailtexts.test_email_text_views import edit_url, form_data, stored
from tests.emailtexts.test_placeholders import VALUES, messages

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("written", ["${7*7}", "#{7*7}", "<%= 7*7 %>", "#{a + b}", "${ 7 * 7 }"])
def test_other_template_languages_syntax_is_sent_as_written(written):
    segments = placeholders.parse(f"Total: {written} for {{client_name}}")
    rendered = placeholders.render_text(segments, VALUES)
    assert rendered == f"Total: {written} for {VALUES['client_name']}"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("${client_nam}", "Unknown placeholder {client_nam}: did you mean {client_name}?"),
        ("{7*7}", "“{7*7}” is not a placeholder"),
        ("${7*7", "is never closed"),
    ],
)
def test_what_is_meant_as_a_porto_placeholder_is_still_refused(written, message):
    assert any(message in found for found in messages(written))


def test_the_editor_saves_a_text_with_foreign_template_syntax(owner_client, company):
    text_row = email_text_for(company, "invoice", "nl")
    body = "Beste {client_name},\n\nUw code: ${7*7} / #{7*7} / <%= 7*7 %>."
    response = owner_client.post(edit_url(text_row), form_data(text_row, body=body))
    assert response.status_code == 302
    assert EmailText.objects.get(pk=text_row.pk).body == body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"body": "Beste klant,\x1b[31m betaal nu\x07"},
            "body",
            "The field “body” contains an invisible control character (U+001B): remove it, for "
            "example by typing the text again instead of pasting it.",
        ),
        (
            {"body": "Beste klant,\u202e nu betalen"},
            "body",
            "The field “body” contains an invisible character that changes the reading direction "
            "(U+202E): remove it, so the text reads as it is stored.",
        ),
        (
            {"subject": "Factuur\x07 {document_number}"},
            "subject",
            "The subject contains a control character, or an encoded word (“=?…?=”) that "
            "hides one: write it as plain text on one line.",
        ),
    ],
)
def test_control_characters_are_refused_next_to_the_field(
    owner_client, company, changes, field, message
):
    text_row = email_text_for(company, "invoice", "nl")
    before = stored(text_row)
    response = owner_client.post(edit_url(text_row), form_data(text_row, **changes))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert stored(text_row) == before


def test_a_body_with_line_breaks_and_tabs_is_accepted(owner_client, company):
    text_row = email_text_for(company, "invoice", "nl")
    body = "Beste {client_name},\r\n\r\nBedrag:\t{amount_due}\r\n"
    response = owner_client.post(edit_url(text_row), form_data(text_row, body=body))
    assert response.status_code == 302


def test_email_texts_and_the_send_path_read_one_body_limit():
    assert BODY_MAX_CHARS is text.MAX_BODY_CHARS
    assert limits.MAX_BODY_CHARS is text.MAX_BODY_CHARS
    assert limits.browser_limits()["max_body_chars"] == text.MAX_BODY_CHARS


def test_a_body_one_character_over_the_limit_is_refused(owner_client, company):
    text_row = email_text_for(company, "invoice", "nl")
    body = "x" * (text.MAX_BODY_CHARS + 1)
    response = owner_client.post(edit_url(text_row), form_data(text_row, body=body))
    assert response.status_code == 200
    assert "20,001 characters long; the limit is 20,000" in response.content.decode()


def test_an_outsider_gets_404_on_the_editor_also_with_hostile_input(outsider_client, company):
    text_row = email_text_for(company, "invoice", "nl")
    before = stored(text_row)
    response = outsider_client.post(edit_url(text_row), form_data(text_row, body="x\x07"))
    assert response.status_code == 404
    assert stored(text_row) == before

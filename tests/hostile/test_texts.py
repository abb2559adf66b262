"""Settings > Email texts, the editor, over every catalogue entry tried on it: a refusal is shown
next to its field and nothing is saved; other template languages' syntax and text that looks
like code are saved as typed, and markup in a body reaches the email escaped."""

import re

import pytest

from porto.emailtexts import placeholders
from porto.emailtexts.models import BODY_MAX_CHARS, EmailText
from porto.emailtexts.services import email_text_for
from porto.lib import text
from porto.mail.send import limits
from tests.emailtexts.test_email_text_views import edit_url, form_data, stored
from tests.emailtexts.test_placeholders import VALUES, messages
from tests.hostile.catalogue import Accepted, Neutralised, Refused, cases

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("entry", "use"), cases("texts"))
def test_the_text_editor_refuses_next_to_the_field_or_saves_as_typed(
    owner_client, company, entry, use
):
    text_row = email_text_for(company, "invoice", "nl")
    before = stored(text_row)
    value = entry.built()
    response = owner_client.post(edit_url(text_row), form_data(text_row, **{use.field: value}))
    if isinstance(use.outcome, Refused):
        assert response.status_code == 200
        errors = response.context["form"].errors[use.field]
        assert any(use.outcome.fragment in message for message in errors), errors
        assert stored(text_row) == before
        return
    assert response.status_code == 302, response.context and response.context["form"].errors
    saved = EmailText.objects.get(pk=text_row.pk)
    assert (
        getattr(saved, use.field) == value.replace("\r\n", "\n")
        or getattr(saved, use.field) == value
    )
    if isinstance(use.outcome, Neutralised):
        assert use.outcome.check == "escaped"
        html = placeholders.render_html(placeholders.parse(value), VALUES)
        assert value not in html
        assert {tag.lower() for tag in re.findall(r"<\s*/?\s*([a-zA-Z]\w*)", html)} <= {
            "p",
            "br",
        }
    else:
        assert isinstance(use.outcome, Accepted)


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


def test_email_texts_and_the_send_path_read_one_body_limit():
    assert BODY_MAX_CHARS is text.MAX_BODY_CHARS
    assert limits.MAX_BODY_CHARS is text.MAX_BODY_CHARS
    assert limits.browser_limits()["max_body_chars"] == text.MAX_BODY_CHARS


def test_an_outsider_gets_404_on_the_editor_also_with_hostile_input(outsider_client, company):
    text_row = email_text_for(company, "invoice", "nl")
    before = stored(text_row)
    response = outsider_client.post(edit_url(text_row), form_data(text_row, body="x\x07"))
    assert response.status_code == 404
    assert stored(text_row) == before

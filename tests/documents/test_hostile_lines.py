"""Hostile input in the document editor's lines: a -0 quantity and control characters are
refused when the line is saved, by the model and so by the editor, with the line's number."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from porto.documents import drafts
from porto.documents.models import Document, DocumentLine
from tests.documents.test_drafts import line
from tests.factories import make_document
from tests.web.test_document_editor import errors_of, post_new

pytestmark = pytest.mark.django_db

NEGATIVE_ZERO = "Quantity 0 (typed as -0): give a quantity, or remove the line."


def refusal_of(company, client, **fields) -> list[str]:
    document = make_document(company, client, note="before")
    with pytest.raises(ValidationError) as caught:
        drafts.draft_save(document, {"note": "after"}, [line("Good"), line(**fields)], [], 0)
    document.refresh_from_db()
    assert (document.note, document.revision) == ("before", 0)  # nothing half-saved
    return caught.value.messages


def test_a_negative_zero_quantity_is_refused_when_the_line_is_saved(company, client_nl):
    assert refusal_of(company, client_nl, quantity="-0") == [f"Line 2: {NEGATIVE_ZERO}"]


def test_a_negative_zero_with_decimals_is_refused_too(company, client_nl):
    document = make_document(company, client_nl)
    row = DocumentLine(document=document, position=0, name="Werk", quantity=Decimal("-0.000"))
    with pytest.raises(ValidationError) as caught:
        row.full_clean(exclude=["document"])
    assert caught.value.message_dict["quantity"] == [NEGATIVE_ZERO]


def test_the_editor_refuses_a_negative_zero_quantity_and_saves_nothing(owner_client, client_nl):
    response = post_new(owner_client, client_nl.pk, **{"lines-0-quantity": "-0"})
    assert response.status_code == 400
    assert f"Line 1: {NEGATIVE_ZERO}" in errors_of(response)
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"name": "Consulting\r\nBcc: x@evil.example"},
            "Line 2: The field “item” must be on one line: remove the line break.",
        ),
        (
            {"name": "Consult\x1b[31ming"},
            "Line 2: The field “item” contains an invisible control character (U+001B): remove it, "
            "for example by typing the text again instead of pasting it.",
        ),
        (
            {"name": "Invoice\u202egpj.exe"},
            "Line 2: The field “item” contains an invisible character that changes the reading "
            "direction (U+202E): remove it, so the text reads as it is stored.",
        ),
        (
            {"description": "Two days\x07 of work"},
            "Line 2: The field “description” contains an invisible control character (U+0007): "
            "remove it, for example by typing the text again instead of pasting it.",
        ),
        (
            {"description": "Work\x85done"},
            "Line 2: The field “description” contains an invisible control character (U+0085): "
            "remove it, for example by typing the text again instead of pasting it.",
        ),
        (
            {"description": "Day one\u2066 and two"},
            "Line 2: The field “description” contains an invisible character that changes the reading "
            "direction (U+2066): remove it, so the text reads as it is stored.",
        ),
    ],
)
def test_control_characters_in_a_line_are_refused_naming_the_field(
    company, client_nl, fields, message
):
    assert refusal_of(company, client_nl, **fields) == [message]


def test_a_description_keeps_its_line_breaks_and_tabs(company, client_nl):
    document = make_document(company, client_nl)
    description = "Day one:\tanalysis\r\nDay two:\tbuild\nDay three"
    saved = drafts.draft_save(document, {}, [line(description=description)], [], 0)
    assert saved.lines.get().description == description


def test_the_editor_shows_a_control_character_in_a_line_name(owner_client, client_nl):
    response = post_new(owner_client, client_nl.pk, **{"lines-0-name": "Consulting\x1b"})
    assert response.status_code == 400
    assert "Line 1: The field “item” contains an invisible control character (U+001B)" in errors_of(
        response
    )
    assert not Document.objects.exists()


def test_the_editor_refuses_a_control_character_in_the_note(owner_client, client_nl):
    response = post_new(owner_client, client_nl.pk, note="Thanks\x07 for your order")
    assert response.status_code == 400
    assert "The field “note” contains an invisible control character (U+0007)" in errors_of(
        response
    )
    assert not Document.objects.exists()


def test_the_note_keeps_its_line_breaks(owner_client, client_nl):
    response = post_new(owner_client, client_nl.pk, note="Thanks!\r\n\r\nSee you soon.")
    assert response.status_code == 302
    assert Document.objects.get().note == "Thanks!\r\n\r\nSee you soon."

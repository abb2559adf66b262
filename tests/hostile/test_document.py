"""The document editor over every catalogue entry tried on it: a refusal names the line and the
field, and nothing is saved; text that looks like code is saved as typed. The line rules live
in the model, so ``draft_save`` (the editor's service, also the API's) refuses the same entries
with the same words, and a refused save leaves the draft as it was."""

import html
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from porto.documents import drafts
from porto.documents.models import Document, DocumentLine
from tests.documents.test_drafts import line
from tests.factories import make_document
from tests.hostile.catalogue import Accepted, Refused, cases
from tests.web.test_document_editor import post_new

pytestmark = pytest.mark.django_db

LINE_FIELDS = {"lines-0-name": "name", "lines-0-description": "description"}


def saved_value(document: Document, field: str):
    if field in LINE_FIELDS:
        return getattr(document.lines.get(), LINE_FIELDS[field])
    return getattr(document, field)


@pytest.mark.parametrize(("entry", "use"), cases("document"))
def test_the_editor_refuses_naming_line_and_field_or_saves_as_typed(
    owner_client, client_nl, entry, use
):
    value = entry.built()
    response = post_new(owner_client, client_nl.pk, **{use.field: value})
    if isinstance(use.outcome, Refused):
        assert response.status_code == 400
        assert use.outcome.fragment in html.unescape(response.content.decode())
        assert not Document.objects.exists()
        return
    assert isinstance(use.outcome, Accepted)
    assert response.status_code == 302
    assert saved_value(Document.objects.get(), use.field) == value.replace("\r\n", "\n") or (
        saved_value(Document.objects.get(), use.field) == value
    )


LINE_CASES = [case for case in cases("document") if case.values[1].field.startswith("lines-0-")]


@pytest.mark.parametrize(("entry", "use"), LINE_CASES)
def test_draft_save_refuses_the_same_line_with_the_same_words(company, client_nl, entry, use):
    field = use.field.removeprefix("lines-0-")
    typed = entry.built()
    hostile = line(quantity=typed) if field == "quantity" else line(**{field: typed})
    document = make_document(company, client_nl, note="before")
    if isinstance(use.outcome, Accepted):
        saved = drafts.draft_save(document, {}, [hostile], [], 0)
        assert getattr(saved.lines.get(), field) == typed
        return
    with pytest.raises(ValidationError) as caught:
        drafts.draft_save(document, {"note": "after"}, [line("Good"), hostile], [], 0)
    document.refresh_from_db()
    assert (document.note, document.revision) == ("before", 0)  # nothing half-saved
    assert caught.value.messages == [use.outcome.fragment.replace("Line 1: ", "Line 2: ")]


def test_a_negative_zero_with_decimals_is_refused_by_the_model(company, client_nl):
    document = make_document(company, client_nl)
    row = DocumentLine(document=document, position=0, name="Werk", quantity=Decimal("-0.000"))
    with pytest.raises(ValidationError) as caught:
        row.full_clean(exclude=["document"])
    assert caught.value.message_dict["quantity"] == [
        "Quantity 0 (typed as -0): give a quantity, or remove the line."
    ]


def test_the_note_keeps_its_line_breaks(owner_client, client_nl):
    response = post_new(owner_client, client_nl.pk, note="Thanks!\r\n\r\nSee you soon.")
    assert response.status_code == 302
    assert Document.objects.get().note == "Thanks!\r\n\r\nSee you soon."

"""A finalized document is a legal record: no path through the model layer or the admin
changes it. Only the bookkeeping field sent_at may still be set. Drafts stay editable."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from porto.documents.models import Document, DocumentLine, FinalizedDocumentError
from porto.documents.services import document_finalize, document_mark_sent
from tests.factories import make_client, make_document, make_finalized

pytestmark = pytest.mark.django_db


@pytest.fixture
def final(company):
    return make_finalized(company, lines=[("2", "50", "S", "21"), ("1", "10", "S", "6")])


@pytest.fixture
def draft(company):
    return make_document(company, make_client(company))


def snapshot(document: Document) -> tuple:
    fresh = Document.objects.get(pk=document.pk)
    lines = list(fresh.lines.values_list("pk", "description", "quantity", "unit_price"))
    return (fresh.status, fresh.number, fresh.buyer_reference, fresh.total_incl_vat, lines)


def refuses(action, document) -> FinalizedDocumentError:
    before = snapshot(document)
    # A savepoint, like the request's own transaction: bulk_update() opens its atomic block
    # without one, and would otherwise leave the test's transaction unusable.
    with pytest.raises(FinalizedDocumentError) as caught, transaction.atomic():
        action()
    assert snapshot(document) == before
    return caught.value


def test_the_error_names_the_document_and_the_way_out(final):
    final.buyer_reference = "PO-1"
    error = refuses(final.save, final)
    assert isinstance(error, ValidationError)
    assert error.code == "finalized"
    assert error.messages == [
        f"Document {final.number} is finalized and can no longer be changed. "
        "Make a credit note to correct it."
    ]


def test_save_is_refused(final):
    final.buyer_reference = "PO-1"
    refuses(final.save, final)
    final.buyer_reference = "PO-2"
    refuses(lambda: final.save(update_fields=["buyer_reference", "sent_at"]), final)


def test_save_through_a_stale_draft_instance_is_refused(company, draft):
    stale = Document.objects.get(pk=draft.pk)
    document_finalize(draft)
    stale.status = Document.Status.DRAFT
    stale.number = ""
    refuses(stale.save, draft)


def test_status_cannot_go_back_to_draft(final):
    final.status = Document.Status.DRAFT
    refuses(final.save, final)
    refuses(lambda: Document.objects.filter(pk=final.pk).update(status="draft"), final)


def test_queryset_update_is_refused(final, draft):
    refuses(lambda: Document.objects.filter(pk=final.pk).update(buyer_reference="x"), final)
    # Also when the finalized one is mixed in with drafts: nothing is changed at all.
    refuses(lambda: Document.objects.all().update(note="changed"), final)
    assert Document.objects.get(pk=draft.pk).note == ""


def test_bulk_update_is_refused(final):
    final.note = "bulk"
    refuses(lambda: Document.objects.bulk_update([final], ["note"]), final)


def test_delete_is_refused(final):
    refuses(final.delete, final)
    refuses(lambda: Document.objects.filter(pk=final.pk).delete(), final)
    refuses(lambda: Document.objects.all().delete(), final)
    assert Document.objects.filter(pk=final.pk).exists()


def test_line_save_update_delete_are_refused(final):
    line = final.lines.first()
    line.quantity = Decimal("3")
    refuses(line.save, final)
    refuses(line.delete, final)
    refuses(lambda: DocumentLine.objects.filter(document=final).update(unit_price=1), final)
    refuses(lambda: final.lines.all().delete(), final)
    refuses(lambda: DocumentLine.objects.bulk_update([line], ["quantity"]), final)


def test_adding_a_line_is_refused(final):
    refuses(
        lambda: DocumentLine.objects.create(document=final, name="Extra", quantity=1, unit_price=1),
        final,
    )
    refuses(lambda: final.lines.create(name="Extra", quantity=1, unit_price=1), final)
    refuses(
        lambda: DocumentLine.objects.bulk_create(
            [DocumentLine(document=final, name="Extra", quantity=1, unit_price=1)]
        ),
        final,
    )


def test_moving_a_line_out_of_a_finalized_document_is_refused(final, draft):
    line = final.lines.first()
    line.document = draft
    refuses(line.save, final)
    assert draft.lines.count() == 1


def test_sent_at_can_still_be_set(final):
    document_mark_sent(final)
    final.refresh_from_db()
    first = final.sent_at
    assert first is not None
    document_mark_sent(final)  # only the first acceptance counts
    final.refresh_from_db()
    assert final.sent_at == first
    final.sent_at = timezone.now()
    final.save(update_fields=["sent_at"])
    Document.objects.filter(pk=final.pk).update(sent_at=None)
    final.refresh_from_db()
    assert final.sent_at is None
    assert final.number == "2026-00001"


def test_drafts_remain_editable(draft):
    draft.buyer_reference = "PO-77"
    draft.save()
    Document.objects.filter(pk=draft.pk).update(note="Thanks")
    line = draft.lines.get()
    line.quantity = Decimal("4")
    line.save()
    draft.lines.create(name="Extra", quantity=1, unit_price=5)
    DocumentLine.objects.filter(pk=line.pk).update(unit_price=Decimal("10"))
    draft.refresh_from_db()
    assert (draft.buyer_reference, draft.note) == ("PO-77", "Thanks")
    assert [(line.quantity, line.unit_price) for line in draft.lines.all()] == [
        (Decimal("4"), Decimal("10")),
        (Decimal("1"), Decimal("5")),
    ]
    draft.lines.all().delete()
    draft.delete()
    assert not Document.objects.filter(pk=draft.pk).exists()


# --- The admin --------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@porto.example", "pw-root-1!")
    client.force_login(user)
    return client


def change_form_data(response) -> dict:
    """The POST body the admin change form would send back unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for sub in formset.forms:
            for name in sub.fields:
                value = sub.initial.get(name, sub.fields[name].initial)
                if hasattr(value, "pk"):
                    value = value.pk
                data[sub.add_prefix(name)] = "" if value is None else value
    return {key: value for key, value in data.items() if value is not False}


def test_admin_change_form_post_on_a_finalized_document_is_forbidden(admin_client, final):
    url = f"/admin/documents/document/{final.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="buyer_reference"' not in page.content  # shown read-only
    before = snapshot(final)
    response = admin_client.post(url, {"buyer_reference": "PO-9", "kind": "quote"})
    assert response.status_code == 403
    assert snapshot(final) == before


def test_admin_delete_of_a_finalized_document_is_forbidden(admin_client, final):
    before = snapshot(final)
    response = admin_client.post(f"/admin/documents/document/{final.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = admin_client.post(
        "/admin/documents/document/",
        {"action": "delete_selected", "_selected_action": [final.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert snapshot(final) == before


def test_admin_edits_a_draft_and_its_totals_follow(admin_client, draft):
    url = f"/admin/documents/document/{draft.pk}/change/"
    data = change_form_data(admin_client.get(url))
    data["buyer_reference"] = "PO-2026-7"
    data["lines-0-quantity"] = "3"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    draft.refresh_from_db()
    assert draft.buyer_reference == "PO-2026-7"
    assert draft.total_incl_vat == Decimal("363.00")


def test_admin_cannot_finalize_by_setting_the_status(admin_client, draft):
    url = f"/admin/documents/document/{draft.pk}/change/"
    data = change_form_data(admin_client.get(url))
    data["status"] = "finalized"
    admin_client.post(url, data)
    draft.refresh_from_db()
    assert draft.status == Document.Status.DRAFT


def test_update_through_a_nullable_relation_still_works_on_drafts(draft, final):
    # Row locks must not reach the outer join (PostgreSQL refuses FOR UPDATE on its null side).
    changed = Document.objects.filter(corrects__isnull=True, status="draft").update(note="x")
    assert changed == 1
    assert Document.objects.get(pk=draft.pk).note == "x"

"""/api/v1/documents/: every endpoint as the owner's token, another company's token (404) and
no token (401); the editor's checks and words; finalize, credit, duplicate, downloads."""

import pytest

from porto.documents.models import Document, DocumentKind
from porto.mail.status_store import email_status_store
from tests.api.conftest import error_of
from tests.einvoice_rules import assert_valid
from tests.factories import make_client, make_document, make_email, make_finalized
from tests.web.test_document_editor import post_new

pytestmark = pytest.mark.django_db

DOCUMENTS = "/api/v1/documents/"
STALE = (
    "This document was changed since you opened it (in another tab or by someone else): "
    "reload it to see the changes; your changes were not saved."
)


def new_invoice(client_pk: int, **fields) -> dict:
    return {
        "kind": "invoice",
        "client": client_pk,
        "buyer_reference": "PO-2026-118",
        "lines": [
            {
                "name": "Consulting",
                "description": "November 2026",
                "quantity": "2",
                "unit_code": "HUR",
                "unit_price": "100.00",
                "allowances": [{"amount": "10", "reason_code": "95", "reason": "Korting"}],
            },
            {"name": "Licence", "quantity": 1, "unit_price": 49.5, "vat_rate": "6"},
        ],
        "allowances": [
            {"is_charge": True, "amount": "5.00", "reason_code": "FC", "reason": "Transport"}
        ],
    } | fields


def object_calls(pk: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"{DOCUMENTS}{pk}/", None),
        ("patch", f"{DOCUMENTS}{pk}/", {"revision": 0, "note": "x"}),
        ("post", f"{DOCUMENTS}{pk}/finalize/", None),
        ("post", f"{DOCUMENTS}{pk}/credit/", None),
        ("post", f"{DOCUMENTS}{pk}/duplicate/", None),
        ("get", f"{DOCUMENTS}{pk}/pdf", None),
        ("get", f"{DOCUMENTS}{pk}/ubl", None),
        ("delete", f"{DOCUMENTS}{pk}/", None),
    ]


def call(api, method: str, path: str, body):
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    return api.send(method, path, body)


@pytest.fixture
def draft(company, client_nl):
    return make_document(company, client_nl)


# --- who may ---------------------------------------------------------------------------------


def test_every_document_url_is_404_to_another_companys_token(outsider_api, company, draft):
    invoice = make_finalized(company)
    for document in (draft, invoice):
        for method, path, body in object_calls(document.pk):
            response = call(outsider_api, method, path, body)
            assert response.status_code == 404, (method, path)
            assert error_of(response)["code"] == "not_found"
    assert Document.objects.count() == 2
    assert Document.objects.get(pk=draft.pk).note == ""


def test_another_companys_token_lists_none_of_our_documents(outsider_api, draft):
    assert outsider_api.get(DOCUMENTS).json()["results"] == []


def test_every_document_url_is_401_without_a_token(anonymous_api, draft, client_nl):
    calls = [("get", DOCUMENTS, None), ("post", DOCUMENTS, new_invoice(client_nl.pk))]
    for method, path, body in [*calls, *object_calls(draft.pk)]:
        response = call(anonymous_api, method, path, body)
        assert response.status_code == 401, (method, path)
        assert error_of(response)["code"] == "not_authenticated"
    assert Document.objects.count() == 1


# --- create, read, update --------------------------------------------------------------------


def test_create_stores_every_line_and_allowance_and_answers_the_totals(api, client_nl):
    response = api.post(DOCUMENTS, new_invoice(client_nl.pk))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["status"], body["number"], body["client"]) == (
        "invoice",
        "draft",
        "",
        client_nl.pk,
    )
    assert [line["net_amount"] for line in body["lines"]] == ["190.00", "49.50"]
    assert body["lines"][0]["allowances"][0]["amount"] == "10.00"
    assert body["lines"][0]["unit_code"] == "HUR"
    totals = body["totals"]
    assert (totals["line_extension"], totals["charge_total"], totals["tax_exclusive"]) == (
        "239.50",
        "5.00",
        "244.50",
    )
    # 195.00 at 21 % (the charge is in S 21) and 49.50 at 6 %
    assert totals["tax_total"] == "43.92"
    assert totals["payable"] == "288.42"
    assert body["links"] == {"pdf": None, "ubl": None}
    assert body["payment_iban"] == client_nl.company.iban


def test_the_same_idempotency_key_twice_makes_one_document(api, client_nl):
    key = {"Idempotency-Key": "4c1d7d3e-0a5b-4b8e-9f1e-2d9c3a7b6e10"}
    first = api.post(DOCUMENTS, new_invoice(client_nl.pk), **key)
    again = api.post(DOCUMENTS, new_invoice(client_nl.pk), **key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Document.objects.count() == 1


def test_unknown_fields_are_refused_and_nothing_is_saved(api, client_nl):
    nested = new_invoice(client_nl.pk)
    nested["lines"][0]["price"] = "3"
    for body, name in ((new_invoice(client_nl.pk, vat=21), "vat"), (nested, "lines.0.price")):
        response = api.post(DOCUMENTS, body)
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "unknown_field"
        assert set(error["fields"]) == {name}
    assert not Document.objects.exists()


def test_patch_changes_the_fields_sent_and_keeps_the_lines(api, draft):
    response = api.patch(f"{DOCUMENTS}{draft.pk}/", {"revision": 0, "note": "Met dank"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["note"], body["revision"], len(body["lines"])) == ("Met dank", 1, 1)


def test_patch_with_a_stale_revision_is_409_document_changed(api, draft):
    assert api.patch(f"{DOCUMENTS}{draft.pk}/", {"revision": 0, "note": "a"}).status_code == 200
    response = api.patch(f"{DOCUMENTS}{draft.pk}/", {"revision": 0, "note": "b"})
    assert response.status_code == 409
    assert error_of(response) == {"code": "document_changed", "message": STALE}
    assert Document.objects.get(pk=draft.pk).note == "a"


def test_patch_without_a_revision_is_refused_on_that_field(api, draft):
    response = api.patch(f"{DOCUMENTS}{draft.pk}/", {"note": "a"})
    assert response.status_code == 400
    assert error_of(response)["fields"]["revision"][0]["message"] == (
        "Send the revision you read with the draft, so that nobody's changes are overwritten."
    )


def test_patch_of_a_finalized_document_is_409_document_finalized(api, company):
    invoice = make_finalized(company)
    response = api.patch(f"{DOCUMENTS}{invoice.pk}/", {"revision": 0, "note": "x"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "document_finalized"


def test_another_companys_client_is_refused_on_the_client_field(api, other_company, client_nl):
    stranger = make_client(other_company)
    response = api.post(DOCUMENTS, new_invoice(stranger.pk))
    assert response.status_code == 400
    assert error_of(response)["fields"]["client"] == [
        {"code": "invalid_choice", "message": "Client: choose one of the options offered."}
    ]
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "editor_typed", "message"),
    [
        ("lines.1.name", "", {"lines-0-name": ""}, "Item: name what you sell."),
        (
            "lines.1.quantity",
            "1.2345",
            {"lines-0-quantity": "1.2345"},
            "Quantity: use at most 3 decimals.",
        ),
        (
            "lines.1.vat_rate",
            "15",
            {"lines-0-vat_rate": "15"},
            "VAT rate: choose one of the options offered.",
        ),
        (
            "lines.1.unit_price",
            "-5",
            {"lines-0-unit_price": "-5"},
            "Unit price cannot be negative: for a return use a negative quantity, for a "
            "discount an allowance.",
        ),
        (
            "lines.1.unit_code",
            "XYZ",
            {"lines-0-unit_code": "XYZ"},
            "Unit: choose one of the options offered.",
        ),
    ],
)
def test_a_bad_line_gets_the_editors_message_under_its_index(
    api, owner_client, client_nl, field, value, editor_typed, message
):
    body = new_invoice(client_nl.pk)
    body["lines"][1][field.split(".")[-1]] = value
    response = api.post(DOCUMENTS, body)
    assert response.status_code == 400
    assert error_of(response)["fields"][field][0]["message"] == message
    editor = post_new(owner_client, client_nl.pk, **editor_typed)
    assert editor.status_code == 400
    assert message in editor.content.decode()
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"payment_iban": "12345678"}, "payment_iban", "12345678 is not an IBAN"),
        (
            {"issue_date": "2026-03-10", "due_date": "2026-03-01"},
            "due_date",
            "Due date: choose a day on or after the issue date.",
        ),
        ({"prepaid_amount": "-3"}, "prepaid_amount", "Prepaid amount: must be at least 0."),
        (
            {"deliver_to_country": "Belgium"},
            "deliver_to_country",
            "Delivery country: write the two-letter country code, for example BE or FR.",
        ),
        (
            {"prepaid_amount": "12,50"},
            "prepaid_amount",
            "Write a number with a point as the decimal mark, for example 12.50",
        ),
        ({"issue_date": "01/12/2026"}, "issue_date", "Write the date as YYYY-MM-DD"),
        (
            {"vat_exemptions": {"S": {"code": "", "text": "Vrijgesteld"}}},
            "vat_exemptions",
            "VAT exemptions: give a reason only for the categories AE, E, G, K, O, not S.",
        ),
        (
            {"title": "Leveringsbon"},
            "title",
            "Title: only an other document (kind other) has a title; leave it out.",
        ),
    ],
)
def test_a_bad_document_field_is_refused_with_its_message(api, client_nl, fields, field, message):
    response = api.post(DOCUMENTS, new_invoice(client_nl.pk, **fields))
    assert response.status_code == 400
    assert error_of(response)["fields"][field][0]["message"].startswith(message)
    assert not Document.objects.exists()


def test_a_bad_document_allowance_is_named_with_its_index(api, client_nl):
    body = new_invoice(client_nl.pk)
    body["allowances"][0] |= {"percentage": "150", "amount": None}
    response = api.post(DOCUMENTS, body)
    assert response.status_code == 400
    [error] = error_of(response)["fields"]["allowances.0.percentage"]
    assert error["message"].startswith("Percentage: must be at most 100")


# --- list ------------------------------------------------------------------------------------


def test_the_list_filters_by_kind_status_client_and_number(api, company, client_nl, draft):
    quote = make_document(company, client_nl, kind=DocumentKind.QUOTE)
    invoice = make_finalized(company)
    ids = lambda params: [row["id"] for row in api.get(DOCUMENTS, params).json()["results"]]  # noqa: E731
    assert ids({"kind": "quote"}) == [quote.pk]
    assert ids({"status": "finalized"}) == [invoice.pk]
    assert sorted(ids({"client": client_nl.pk})) == sorted([draft.pk, quote.pk])
    assert ids({"number": invoice.number}) == [invoice.pk]
    assert ids({"issued_from": str(invoice.issue_date)}) == [invoice.pk]


def test_a_bad_list_filter_is_refused_on_its_parameter(api):
    response = api.get(DOCUMENTS, {"status": "paid"})
    assert response.status_code == 400
    assert error_of(response)["fields"]["status"][0]["message"] == (
        "Choose one of: draft, finalized, sent."
    )


# --- actions and files -----------------------------------------------------------------------


def test_finalize_with_problems_is_422_keyed_by_field(api, company):
    empty = make_document(company, None, lines=[])
    response = api.post(f"{DOCUMENTS}{empty.pk}/finalize/")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "document_not_finalizable"
    assert error["fields"]["client"][0]["message"] == (
        "Choose a client: a finalized document needs one."
    )
    assert "lines" in error["fields"]
    assert Document.objects.get(pk=empty.pk).is_draft


def test_delete_removes_a_draft_and_refuses_a_finalized_one(api, company, draft):
    assert api.delete(f"{DOCUMENTS}{draft.pk}/").status_code == 204
    assert not Document.objects.filter(pk=draft.pk).exists()
    invoice = make_finalized(company)
    response = api.delete(f"{DOCUMENTS}{invoice.pk}/")
    assert response.status_code == 409
    assert error_of(response)["code"] == "document_finalized"


def test_credit_makes_a_credit_note_draft_and_refuses_a_draft(api, company, draft):
    invoice = make_finalized(company)
    response = api.post(f"{DOCUMENTS}{invoice.pk}/credit/")
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["corrects"]) == ("credit_note", invoice.pk)
    refused = api.post(f"{DOCUMENTS}{draft.pk}/credit/")
    assert refused.status_code == 409
    assert error_of(refused) == {
        "code": "not_creditable",
        "message": "Only a finalized invoice can be credited: finalize it first.",
    }


def test_duplicate_makes_a_new_draft_with_the_same_lines(api, draft):
    response = api.post(f"{DOCUMENTS}{draft.pk}/duplicate/")
    assert response.status_code == 201
    assert response.json()["id"] != draft.pk
    assert len(response.json()["lines"]) == 1


def test_downloading_a_draft_is_409_document_not_finalized(api, draft):
    for fmt in ("pdf", "ubl"):
        response = api.get(f"{DOCUMENTS}{draft.pk}/{fmt}")
        assert response.status_code == 409
        assert error_of(response)["code"] == "document_not_finalized"


def test_the_ubl_of_a_quote_is_422(api, company):
    quote = make_finalized(company, kind=DocumentKind.QUOTE)
    response = api.get(f"{DOCUMENTS}{quote.pk}/ubl")
    assert response.status_code == 422
    assert error_of(response)["code"] == "ubl_not_available"


def test_create_finalize_and_download_a_ubl_that_passes_the_official_rules(
    api, client_nl, validator, settings
):
    settings.PORTO_EINVOICE_RULES_DIR = validator.directory
    created = api.post(DOCUMENTS, new_invoice(client_nl.pk)).json()
    finalized = api.post(f"{DOCUMENTS}{created['id']}/finalize/")
    assert finalized.status_code == 200, finalized.json()
    body = finalized.json()
    assert body["status"] == "finalized" and body["number"]
    ubl = api.get(body["links"]["ubl"])
    assert ubl.status_code == 200
    assert ubl["Content-Type"] == "application/xml"
    assert_valid(validator, ubl.content)
    pdf = api.get(body["links"]["pdf"])
    assert pdf.content.startswith(b"%PDF")


def test_a_ubl_failing_the_official_rules_is_422_with_the_rule_ids(
    api, company, validator, settings
):
    settings.PORTO_EINVOICE_RULES_DIR = validator.directory
    company.vat_number = ""
    company.save()
    invoice = make_finalized(company)
    response = api.get(f"{DOCUMENTS}{invoice.pk}/ubl")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "ubl_invalid"
    assert "BR-S-02" in [rule["code"] for rule in error["fields"]["rules"]]
    assert error["message"].startswith("Your company has no VAT number: add it on the Company page")


def test_the_pdf_is_the_stored_file_the_page_serves(api, owner_client, company):
    invoice = make_finalized(company)
    response = api.get(f"{DOCUMENTS}{invoice.pk}/pdf")
    page = owner_client.get(f"/documents/{invoice.pk}/download/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == page["Content-Disposition"]
    assert response.content == page.content


def test_finalize_twice_with_one_key_answers_once_and_without_a_key_is_409(api, draft):
    key = {"Idempotency-Key": "finalize-7f1c"}
    first = api.post(f"{DOCUMENTS}{draft.pk}/finalize/", **key)
    again = api.post(f"{DOCUMENTS}{draft.pk}/finalize/", **key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["number"] == first.json()["number"]
    refused = api.post(f"{DOCUMENTS}{draft.pk}/finalize/")
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "document_finalized"


def test_the_list_filters_by_the_last_email_status(api, company):
    delivered, failed = make_finalized(company), make_finalized(company)
    make_email(delivered)  # accepted by the server: in transit until the provider says more
    email = make_email(failed, to=("nobody@klant.invalid",))
    email.recipients.update(accepted_at=None, failed_at=email.handed_off_at, failure_reason="550")
    email_status_store(email.pk)
    in_transit = api.get(DOCUMENTS, {"last_email_status": "in_transit"}).json()["results"]
    failed_rows = api.get(DOCUMENTS, {"last_email_status": "failed"}).json()["results"]
    assert [row["id"] for row in in_transit] == [delivered.pk]
    assert [row["id"] for row in failed_rows] == [failed.pk]


def test_updated_since_lists_only_documents_changed_from_then(api, company, draft):
    since = Document.objects.get(pk=draft.pk).updated_at
    later = make_finalized(company)
    Document.objects.filter(pk=draft.pk).update(updated_at=since.replace(year=2020))
    rows = api.get(DOCUMENTS, {"updated_since": since.isoformat()}).json()["results"]
    assert [row["id"] for row in rows] == [later.pk]


def test_messages_follow_the_accept_language(api, client_nl):
    body = new_invoice(client_nl.pk)
    body["lines"][0]["name"] = ""
    response = api.post(DOCUMENTS, body, HTTP_ACCEPT_LANGUAGE="nl")
    message = error_of(response)["fields"]["lines.0.name"][0]["message"]
    assert message != "Item: name what you sell."
    assert "Item" not in message


def test_a_credit_note_corrects_only_an_invoice_of_the_company(api, company, other_company):
    theirs = make_finalized(other_company)
    ours = make_finalized(company)
    body = new_invoice(ours.client_id, kind="credit_note", corrects=theirs.pk)
    response = api.post(DOCUMENTS, body)
    assert response.status_code == 400
    assert error_of(response)["fields"]["corrects"][0]["message"].endswith(
        "choose one of the options offered."
    )
    created = api.post(DOCUMENTS, body | {"corrects": ours.pk})
    assert created.status_code == 201
    assert created.json()["corrects"] == ours.pk


def test_patch_with_lines_replaces_them_and_raises_the_revision(api, draft):
    lines = [{"name": "Audit", "quantity": "3", "unit_price": "80"}]
    response = api.patch(f"{DOCUMENTS}{draft.pk}/", {"revision": 0, "lines": lines})
    assert response.status_code == 200
    body = response.json()
    assert [line["name"] for line in body["lines"]] == ["Audit"]
    assert (body["revision"], body["totals"]["tax_exclusive"]) == (1, "240.00")


def test_an_unknown_kind_is_refused_on_kind(api, client_nl):
    response = api.post(DOCUMENTS, new_invoice(client_nl.pk, kind="receipt"))
    assert response.status_code == 400
    assert error_of(response)["fields"]["kind"][0]["message"] == (
        "Choose the kind invoice, credit_note, quote or other."
    )

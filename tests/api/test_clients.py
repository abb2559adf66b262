"""/api/v1/clients/: every endpoint as the owner's token, another company's token (404) and
no token (401); the same checks and words as the client page; nothing half-saved."""

import pytest

from porto.clients.forms import ClientForm
from porto.clients.models import Client, ClientEmail
from tests.api.conftest import error_of
from tests.factories import make_client, make_document

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"

NEW_CLIENT = {
    "name": "Brouwerij Het Anker NV",
    "contact_name": "Dienst boekhouding",
    "street": "Guido Gezellelaan 49",
    "postal_code": "2800",
    "city": "Mechelen",
    "country": "BE",
    "vat_number": "BE 0403.170.701",
    "kbo_number": "0403.170.701",
    "peppol_scheme": "0208",
    "peppol_id": "0403170701",
    "language": "nl",
    "emails": [
        {"address": "boekhouding@hetanker.example", "label": "Boekhouding", "is_default": True},
        {"address": "directie@hetanker.example"},
    ],
}


@pytest.fixture
def theirs(company):
    return make_client(company, name="Klant NV", emails=("a@klant.example", "b@klant.example"))


def object_calls(pk: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"{CLIENTS}{pk}/", None),
        ("patch", f"{CLIENTS}{pk}/", {"city": "Brugge"}),
        ("delete", f"{CLIENTS}{pk}/", None),
        ("post", f"{CLIENTS}{pk}/archive/", None),
        ("post", f"{CLIENTS}{pk}/unarchive/", None),
    ]


def call(api, method: str, path: str, body):
    if method == "get":
        return api.get(path)
    if method == "delete":
        return api.delete(path)
    return api.send(method, path, body)


# --- who may: owner token, outsider token, no token -----------------------------------------


def test_every_client_url_is_404_to_another_companys_token(outsider_api, theirs):
    for method, path, body in object_calls(theirs.pk):
        response = call(outsider_api, method, path, body)
        assert response.status_code == 404, (method, path)
        assert error_of(response)["code"] == "not_found"
    theirs.refresh_from_db()
    assert (theirs.city, theirs.archived_at) == ("Gent", None)


def test_another_companys_token_lists_none_of_our_clients(outsider_api, theirs):
    assert outsider_api.get(CLIENTS).json()["results"] == []


def test_every_client_url_is_401_without_a_token(anonymous_api, theirs):
    calls = [("get", CLIENTS, None), ("post", CLIENTS, NEW_CLIENT), *object_calls(theirs.pk)]
    for method, path, body in calls:
        response = call(anonymous_api, method, path, body)
        assert response.status_code == 401, (method, path)
        assert error_of(response)["code"] == "not_authenticated"
    assert Client.objects.count() == 1


# --- the owner's token ----------------------------------------------------------------------


def test_create_saves_the_client_with_its_addresses_in_compact_form(api, company):
    response = api.post(CLIENTS, NEW_CLIENT)
    assert response.status_code == 201, response.content
    body = response.json()
    client = Client.objects.get(pk=body["id"], company=company)
    assert (client.vat_number, client.kbo_number) == ("BE0403170701", "0403170701")
    assert body["vat_number"] == "BE0403170701"
    assert [(e["address"], e["label"], e["is_default"]) for e in body["emails"]] == [
        ("boekhouding@hetanker.example", "Boekhouding", True),
        ("directie@hetanker.example", "", False),
    ]


def test_create_with_only_a_name_takes_the_defaults(api):
    body = api.post(CLIENTS, {"name": "Bakkerij Peeters"}).json()
    assert (body["kind"], body["country"], body["language"], body["emails"]) == (
        "business",
        "BE",
        "nl",
        [],
    )


def test_list_searches_like_the_clients_page(api, company, theirs):
    make_client(company, name="Café Élysée SPRL")
    response = api.get(CLIENTS, {"q": "elysee"})
    assert [row["name"] for row in response.json()["results"]] == ["Café Élysée SPRL"]


def test_list_leaves_out_archived_clients_unless_asked(api, company, theirs):
    api.post(f"{CLIENTS}{theirs.pk}/archive/")
    assert api.get(CLIENTS).json()["results"] == []
    assert len(api.get(CLIENTS, {"archived": "true"}).json()["results"]) == 1


def test_retrieve_shows_the_client_with_its_addresses(api, theirs):
    body = api.get(f"{CLIENTS}{theirs.pk}/").json()
    assert body["name"] == "Klant NV"
    assert [e["address"] for e in body["emails"]] == ["a@klant.example", "b@klant.example"]


def test_patch_changes_only_the_fields_sent_and_keeps_the_addresses(api, theirs):
    response = api.patch(f"{CLIENTS}{theirs.pk}/", {"city": "Brugge"})
    assert response.status_code == 200, response.content
    theirs.refresh_from_db()
    assert (theirs.city, theirs.street) == ("Brugge", "Marktplein 5")
    assert sorted(theirs.emails.values_list("address", "is_default")) == [
        ("a@klant.example", True),
        ("b@klant.example", False),
    ]


def test_patch_with_emails_replaces_the_list_keeping_the_ids_of_kept_addresses(api, theirs):
    kept = theirs.emails.get(address="b@klant.example")
    emails = [{"address": "B@klant.example", "is_default": True}, {"address": "c@klant.example"}]
    response = api.patch(f"{CLIENTS}{theirs.pk}/", {"emails": emails})
    assert response.status_code == 200, response.content
    rows = {e["address"]: e for e in response.json()["emails"]}
    assert set(rows) == {"B@klant.example", "c@klant.example"}
    assert rows["B@klant.example"]["id"] == kept.pk and rows["B@klant.example"]["is_default"]
    assert not ClientEmail.objects.filter(address="a@klant.example").exists()


def test_delete_removes_a_client_without_documents(api, theirs):
    assert api.delete(f"{CLIENTS}{theirs.pk}/").status_code == 204
    assert not Client.objects.filter(pk=theirs.pk).exists()


def test_delete_of_a_client_with_documents_is_409_has_documents(api, company, theirs):
    make_document(company, theirs)
    response = api.delete(f"{CLIENTS}{theirs.pk}/")
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "has_documents",
        "message": "Klant NV has documents, so it cannot be deleted: archive it instead. "
        "Its documents stay available.",
    }
    assert Client.objects.filter(pk=theirs.pk).exists()


def test_archive_and_unarchive(api, theirs):
    archived = api.post(f"{CLIENTS}{theirs.pk}/archive/").json()
    assert archived["archived_at"] is not None
    assert api.post(f"{CLIENTS}{theirs.pk}/unarchive/").json()["archived_at"] is None


# --- refusals: the client page's checks and words --------------------------------------------


def form_messages(data: dict) -> dict[str, list[str]]:
    form = ClientForm({"kind": "business", "country": "BE", "language": "nl"} | data)
    form.is_valid()
    return {name: list(errors) for name, errors in form.errors.items()}


def api_messages(response) -> dict[str, list[str]]:
    fields = error_of(response)["fields"]
    return {name: [error["message"] for error in errors] for name, errors in fields.items()}


@pytest.mark.parametrize(
    "bad",
    [
        {"vat_number": "BE0403170702"},
        {"kbo_number": "123"},
        {"peppol_scheme": "0208", "peppol_id": "0403.170.702"},
        {"peppol_scheme": "02", "peppol_id": "x"},
        {"country": "XX"},
        {"name": "x" * 201},
    ],
)
def test_a_refused_value_gets_the_client_pages_own_message(api, bad):
    response = api.post(CLIENTS, {"name": "Brouwerij NV"} | bad)
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
    assert api_messages(response) == form_messages({"name": "Brouwerij NV"} | bad)
    assert not Client.objects.exists()


def test_a_missing_name_is_refused_on_name(api):
    response = api.post(CLIENTS, {"city": "Gent"})
    assert error_of(response)["fields"] == {
        "name": [{"code": "required", "message": "Give the client's name."}]
    }


def test_a_bad_address_is_named_by_its_index_and_nothing_is_saved(api):
    body = {"name": "Brouwerij NV", "emails": [{"address": "ok@x.example"}, {"address": "a b"}]}
    response = api.post(CLIENTS, body)
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "emails.1.address": [
            {
                "code": "email",
                "message": "a b is not a valid email address: check it for a typing mistake, "
                "like a missing @ or a space.",
            }
        ]
    }
    assert not Client.objects.exists() and not ClientEmail.objects.exists()


def test_two_defaults_are_refused_on_emails(api):
    emails = [{"address": f"{n}@x.example", "is_default": True} for n in "ab"]
    response = api.post(CLIENTS, {"name": "Brouwerij NV", "emails": emails})
    assert error_of(response)["fields"] == {
        "emails": [
            {"code": "many_defaults", "message": "Tick Default for one address only; 2 are ticked."}
        ]
    }


def test_the_same_address_twice_is_refused_on_the_second(api):
    emails = [{"address": "a@x.example", "is_default": True}, {"address": "A@x.example"}]
    response = api.post(CLIENTS, {"name": "Brouwerij NV", "emails": emails})
    assert error_of(response)["fields"] == {
        "emails.1.address": [
            {
                "code": "invalid",
                "message": "A@x.example is already in this list: remove one of the two rows.",
            }
        ]
    }


def test_a_refused_patch_changes_nothing(api, theirs):
    response = api.patch(f"{CLIENTS}{theirs.pk}/", {"city": "Brugge", "kbo_number": "1"})
    assert response.status_code == 400
    theirs.refresh_from_db()
    assert theirs.city == "Gent"

"""The client pages: the list with search, create and edit with addresses, every refusal with
its message next to its field, archive, unarchive and delete; members may use them, another
company's users get 404 everywhere."""

import re

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from porto.clients.models import Client, ClientEmail
from tests.factories import make_client, make_document

pytestmark = pytest.mark.django_db

BUSINESS = {
    "kind": "business",
    "name": "Société Générale Belgique SA",
    "contact_name": "Service comptabilité",
    "street": "Rue Royale 120",
    "street2": "Boîte 4",
    "postal_code": "1000",
    "city": "Bruxelles",
    "country": "BE",
    "vat_number": "be 0403.170.701",
    "kbo_number": "0403 170 701",
    "legal_id": "",
    "peppol_scheme": "0208",
    "peppol_id": "0403.170.701",
    "language": "fr",
}


def payload(fields: dict, addresses: list[dict], initial: int = 0, extra: int = 0) -> dict:
    """What the form posts: the client's fields and the address rows as a formset."""
    data = dict(fields)
    rows = addresses + [{}] * extra
    data |= {
        "emails-TOTAL_FORMS": str(len(rows)),
        "emails-INITIAL_FORMS": str(initial),
        "emails-MIN_NUM_FORMS": "0",
        "emails-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key in ("id", "address", "label"):
            data[f"emails-{index}-{key}"] = str(row.get(key, ""))
        for box in ("is_default", "DELETE"):
            if row.get(box):
                data[f"emails-{index}-{box}"] = "on"
    return data


def rows_of(client: Client) -> list[dict]:
    return [
        {"id": e.pk, "address": e.address, "label": e.label, "is_default": e.is_default}
        for e in client.emails.order_by("pk")
    ]


def create(http, fields=None, addresses=None, extra=1):
    addresses = (
        [{"address": "compta@sgb.example", "is_default": True}] if addresses is None else addresses
    )
    return http.post(
        reverse("client_new"), payload(BUSINESS | (fields or {}), addresses, extra=extra)
    )


# --- Create and edit ---------------------------------------------------------------------------


def test_the_new_client_form_offers_three_empty_address_rows(owner_client):
    response = owner_client.get(reverse("client_new"))
    assert response.status_code == 200
    page = response.content.decode()
    rows = page[page.index('id="email-rows-body"') : page.index("</tbody>")]
    assert rows.count('<tr class="email-row') == 3
    assert b'name="emails-TOTAL_FORMS" value="3"' in response.content
    assert b'<option value="0088">0088: Global Location Number (GLN)</option>' in response.content


def test_a_business_client_is_saved_with_every_field_and_shown(owner_client, company):
    addresses = [
        {"address": "Compta@SGB.example", "label": "Comptabilité", "is_default": True},
        {"address": "direction@sgb.example", "label": "Direction"},
    ]
    response = create(owner_client, addresses=addresses)
    client = Client.objects.get(company=company, name="Société Générale Belgique SA")
    assert response.status_code == 302
    assert response["Location"] == reverse("client", args=[client.pk])
    saved = Client.objects.filter(pk=client.pk).values(*BUSINESS).get()
    assert saved == BUSINESS | {
        "vat_number": "BE0403170701",
        "kbo_number": "0403170701",
        "peppol_id": "0403170701",
    }
    assert client.search_name == "societe generale belgique sa service comptabilite"
    assert rows_of(client) == [
        {"id": client.emails.get(label="Comptabilité").pk, "address": "Compta@sgb.example",
         "label": "Comptabilité", "is_default": True},
        {"id": client.emails.get(label="Direction").pk, "address": "direction@sgb.example",
         "label": "Direction", "is_default": False},
    ]  # fmt: skip
    page = owner_client.get(response["Location"]).content.decode()
    for shown in [
        "Société Générale Belgique SA", "Service comptabilité", "Rue Royale 120", "Boîte 4",
        "1000 Bruxelles", "Belgium", "BE0403170701", "0403170701", "0208:0403170701",
        "French", "Business", "Compta@sgb.example (Comptabilité) — default",
        "direction@sgb.example (Direction)",
    ]:  # fmt: skip
        assert shown in page, shown


def test_a_person_abroad_is_saved_with_a_foreign_registration_and_a_gln(owner_client, company):
    person = {
        "kind": "person",
        "name": "Anna Schmidt",
        "contact_name": "",
        "street": "Hauptstraße 5",
        "street2": "",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "vat_number": "",
        "kbo_number": "",
        "legal_id": "HRB 12345",
        "peppol_scheme": "0088",
        "peppol_id": "4000001000005",
        "language": "en",
    }
    response = create(owner_client, person, addresses=[{"address": "anna@schmidt.example"}])
    assert response.status_code == 302
    client = Client.objects.get(company=company, name="Anna Schmidt")
    assert Client.objects.filter(pk=client.pk).values(*person).get() == person
    assert client.default_email.address == "anna@schmidt.example"  # the only one: default
    page = owner_client.get(response["Location"]).content.decode()
    assert "Germany" in page and "HRB 12345" in page and "Person" in page


def test_a_client_without_email_address_is_allowed(owner_client, company):
    response = create(owner_client, {"name": "Zonder Adres BV"}, addresses=[], extra=3)
    assert response.status_code == 302
    assert not Client.objects.get(name="Zonder Adres BV").emails.exists()


def test_the_edit_form_moves_the_default_removes_and_adds_addresses(owner_client, company):
    client = make_client(
        company, name="Bakkerij Peeters", emails=("a@peeters.example", "b@peeters.example")
    )
    rows = rows_of(client)
    rows[0] |= {"is_default": False, "DELETE": True}
    rows[1] |= {"is_default": True, "label": "Boekhouding"}
    rows.append({"address": "c@peeters.example", "label": "Directie"})
    fields = BUSINESS | {"name": "Bakkerij Peeters & Zonen", "language": "nl", "country": "NL"}
    response = owner_client.post(
        reverse("client_edit", args=[client.pk]), payload(fields, rows, initial=2)
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.language, client.country) == (
        "Bakkerij Peeters & Zonen",
        "nl",
        "NL",
    )
    assert list(
        client.emails.values_list("address", "label", "is_default").order_by("address")
    ) == [
        ("b@peeters.example", "Boekhouding", True),
        ("c@peeters.example", "Directie", False),
    ]


def test_the_edit_form_shows_the_saved_values(owner_client, company):
    client = make_client(
        company, name="Bakkerij Peeters", street2="Achterbouw", emails=("a@peeters.example",)
    )
    page = owner_client.get(reverse("client_edit", args=[client.pk])).content.decode()
    assert 'value="Bakkerij Peeters"' in page
    assert 'value="Achterbouw"' in page
    assert 'value="a@peeters.example"' in page


def test_a_country_saved_outside_the_list_stays_choosable(owner_client, company):
    client = make_client(
        company,
        name="Kosovo Trade LLC",
        country="XK",
        vat_number="",
        kbo_number="",
        peppol_scheme="",
        peppol_id="",
    )
    page = owner_client.get(reverse("client_edit", args=[client.pk])).content.decode()
    assert '<option value="XK" selected>XK</option>' in page
    fields = BUSINESS | {
        "name": "Kosovo Trade LLC",
        "country": "XK",
        "peppol_scheme": "",
        "peppol_id": "",
    }
    response = owner_client.post(reverse("client_edit", args=[client.pk]), payload(fields, []))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.country == "XK"


# --- Refusals: each with its message next to its field, nothing saved ---------------------------


def errors_next_to(page: str, field_id: str) -> list[str]:
    """The messages in the same field block (or address row) as the input ``field_id``."""
    start = page.index(f'id="{field_id}"')
    block_end = min(i for i in (page.find("</div>", start), page.find("</tr>", start)) if i > 0)
    return re.findall(r'<p class="error">(.*?)</p>', page[start:block_end])


REFUSALS = [
    ({"name": ""}, "id_name", "Give the client&#x27;s name."),
    (
        {"vat_number": "BE0403170702"},
        "id_vat_number",
        "BE0403170702 is not a valid Belgian VAT number: The KBO/BCE number 0403170702 has a "
        "wrong check number (last two digits): check it for a typing mistake.",
    ),
    (
        {"vat_number": "12345"},
        "id_vat_number",
        "A VAT number starts with the country code, like BE0123456749; 12345 does not.",
    ),
    (
        {"kbo_number": "0403.170.70"},
        "id_kbo_number",
        "The KBO/BCE number 0403.170.70 has a wrong check number (last two digits): "
        "check it for a typing mistake.",
    ),
    (
        {"peppol_id": ""},
        "id_peppol_id",
        "Give both the Peppol scheme and the identifier, or neither.",
    ),
    (
        {"peppol_scheme": "", "peppol_id": "0403170701"},
        "id_peppol_id",
        "Give both the Peppol scheme and the identifier, or neither.",
    ),
    ({"peppol_scheme": "9999"}, "id_peppol_scheme", "Choose the Peppol scheme from the list."),
    (
        {"peppol_scheme": "0088", "peppol_id": "5412345000014"},
        "id_peppol_id",
        "The GLN 5412345000014 has a wrong check digit (the last digit): "
        "check it for a typing mistake.",
    ),
    (
        {"peppol_scheme": "0208", "peppol_id": "1234"},
        "id_peppol_id",
        "With scheme 0208 the identifier is the client&#x27;s KBO/BCE number: A KBO/BCE "
        "number has 10 digits, like 0123.456.749; 1234 does not.",
    ),
    ({"country": "XX"}, "id_country", "Choose the client&#x27;s country from the list."),
    ({"language": "de"}, "id_language", "Choose the language from the list."),
    ({"kind": ""}, "id_kind_0", "Choose whether the client is a business or a person."),
]


@pytest.mark.parametrize(("fields", "field_id", "message"), REFUSALS)
def test_a_bad_field_is_refused_with_its_message_next_to_it(
    owner_client, company, fields, field_id, message
):
    response = create(owner_client, fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved: correct the fields marked below." in page
    assert errors_next_to(page, field_id) == [message]
    assert not Client.objects.filter(company=company).exists()
    assert not ClientEmail.objects.exists()


ADDRESS_REFUSALS = [
    (
        [{"address": "compta@sgb", "is_default": True}],
        0,
        "compta@sgb is not a valid email address: check it for a typing mistake, "
        "like a missing @ or a space.",
    ),
    (
        [{"address": "a@sgb.example", "is_default": True}, {"label": "Direction"}],
        1,
        "Give the email address, or empty this row.",
    ),
    (
        [{"address": "a@sgb.example", "is_default": True}, {"address": "A@sgb.example"}],
        1,
        "A@sgb.example is already in this list: remove one of the two rows.",
    ),
]


@pytest.mark.parametrize(("addresses", "row", "message"), ADDRESS_REFUSALS)
def test_a_bad_address_is_refused_next_to_its_row(owner_client, company, addresses, row, message):
    response = create(owner_client, addresses=addresses)
    assert response.status_code == 400
    assert errors_next_to(response.content.decode(), f"id_emails-{row}-address") == [message]
    assert not Client.objects.filter(company=company).exists()


@pytest.mark.parametrize(
    ("ticked", "message"),
    [
        (
            (False, False),
            "Tick Default for one address: documents go there unless you choose another.",
        ),
        ((True, True), "Tick Default for one address only; 2 are ticked."),
    ],
)
def test_several_addresses_need_exactly_one_default(owner_client, company, ticked, message):
    addresses = [
        {"address": "a@sgb.example", "is_default": ticked[0]},
        {"address": "b@sgb.example", "is_default": ticked[1]},
    ]
    response = create(owner_client, addresses=addresses)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<p class="error">{message}</p>' in page
    assert page.index(message) < page.index('id="id_emails-0-address"')  # above the rows
    assert not Client.objects.filter(company=company).exists()


def test_a_refused_edit_changes_nothing(owner_client, company):
    client = make_client(company, name="Bakkerij Peeters", emails=("a@peeters.example",))
    rows = [*rows_of(client), {"address": "geen-adres"}]
    fields = BUSINESS | {"name": "Nieuwe Naam"}
    response = owner_client.post(
        reverse("client_edit", args=[client.pk]), payload(fields, rows, initial=1)
    )
    assert response.status_code == 400
    client.refresh_from_db()
    assert client.name == "Bakkerij Peeters"
    assert list(client.emails.values_list("address", flat=True)) == ["a@peeters.example"]


# --- The list ----------------------------------------------------------------------------------


def test_the_list_searches_accents_and_case_and_counts_documents(owner_client, company):
    societe = make_client(company, name="Société Générale SA")
    make_client(company, name="ÉCOLE DU CENTRE")
    make_document(company, societe)
    page = owner_client.get(reverse("clients"), {"q": "SOCIETE"})
    assert [c.name for c in page.context["page"]] == ["Société Générale SA"]
    assert page.context["page"][0].document_count == 1
    assert 'value="SOCIETE"' in page.content.decode()
    empty = owner_client.get(reverse("clients"), {"q": "niemand"})
    assert "No clients match this search." in empty.content.decode()


def queries_for_list(http) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(reverse("clients")).status_code == 200
    return len(captured)


def test_the_list_page_takes_as_many_queries_for_25_clients_as_for_5(owner_client, company):
    def add_clients(count: int) -> None:
        for _ in range(count):
            make_document(company, make_client(company, emails=("a@x.example", "b@x.example")))

    add_clients(5)
    owner_client.get(reverse("clients"))  # the session's first request chooses the company
    five = queries_for_list(owner_client)
    add_clients(20)
    assert queries_for_list(owner_client) == five


def test_the_list_hides_archived_clients_unless_shown(owner_client, company):
    make_client(company, name="Actief BV")
    make_client(company, name="Gearchiveerd BV", archived_at="2026-11-01T10:00:00+01:00")
    visible = [c.name for c in owner_client.get(reverse("clients")).context["page"]]
    assert visible == ["Actief BV"]
    shown = owner_client.get(reverse("clients"), {"archived": "1"})
    assert [c.name for c in shown.context["page"]] == ["Actief BV", "Gearchiveerd BV"]
    assert "Archived" in shown.content.decode()


def test_the_list_paginates_and_keeps_the_search(owner_client, company):
    for n in range(53):
        make_client(company, name=f"Klant {n:02d} BV")
    first = owner_client.get(reverse("clients"), {"q": "klant"})
    assert len(first.context["page"]) == 50
    assert "?q=klant&amp;page=2" in first.content.decode()
    second = owner_client.get(reverse("clients"), {"q": "klant", "page": "2"})
    assert [c.name for c in second.context["page"]] == ["Klant 50 BV", "Klant 51 BV", "Klant 52 BV"]


# --- Archive, unarchive, delete ----------------------------------------------------------------


def test_a_client_with_documents_is_archived_and_stays_reachable(owner_client, company):
    client = make_client(company, name="Brouwerij Het Anker")
    document = make_document(company, client)
    page = owner_client.get(reverse("client", args=[client.pk])).content.decode()
    assert reverse("client_delete", args=[client.pk]) not in page  # no Delete offered
    response = owner_client.post(reverse("client_archive", args=[client.pk]))
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.archived_at is not None
    page = owner_client.get(reverse("client", args=[client.pk])).content.decode()
    assert "Unarchive" in page
    assert reverse("document", args=[document.pk]) in page
    assert owner_client.get(reverse("document", args=[document.pk])).status_code == 200
    owner_client.post(reverse("client_unarchive", args=[client.pk]))
    client.refresh_from_db()
    assert client.archived_at is None


def test_deleting_a_client_with_documents_is_refused(owner_client, company):
    client = make_client(company, name="Brouwerij Het Anker")
    make_document(company, client)
    response = owner_client.post(reverse("client_delete", args=[client.pk]))
    assert response.status_code == 409
    assert (
        "Brouwerij Het Anker has documents, so it cannot be deleted: archive it instead. "
        "Its documents stay available." in response.content.decode()
    )
    assert Client.objects.filter(pk=client.pk).exists()


def test_a_client_without_documents_is_deleted_after_confirmation(owner_client, company):
    client = make_client(company, name="Vergissing BV")
    page = owner_client.get(reverse("client", args=[client.pk])).content.decode()
    assert reverse("client_delete", args=[client.pk]) in page
    confirm = owner_client.get(reverse("client_delete", args=[client.pk]))
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.content.decode()
    assert Client.objects.filter(pk=client.pk).exists()  # asking deletes nothing
    response = owner_client.post(reverse("client_delete", args=[client.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients")
    assert not Client.objects.filter(pk=client.pk).exists()


# --- Who may -----------------------------------------------------------------------------------


def test_a_member_may_create_and_edit_clients(client, teammate, company):
    client.force_login(teammate)
    assert create(client).status_code == 302
    made = Client.objects.get(company=company)
    assert client.get(reverse("client_edit", args=[made.pk])).status_code == 200


CLIENT_URL_NAMES = ["client", "client_edit", "client_archive", "client_unarchive", "client_delete"]


def client_urls(pk: int) -> list[tuple[str, str]]:
    """Every client URL with both methods, whatever the page accepts."""
    return [
        (method, reverse(name, args=[pk]))
        for name in CLIENT_URL_NAMES
        for method in ("get", "post")
    ]


def test_an_outsider_gets_404_on_every_client_url_and_method(outsider_client, company):
    theirs = make_client(company, name="Secret Client NV", emails=("geheim@secret.example",))
    for method, url in client_urls(theirs.pk):
        data = payload(BUSINESS | {"name": "Overgenomen"}, rows_of(theirs), initial=1)
        response = getattr(outsider_client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, (method, url)
        assert b"Secret Client" not in response.content
    theirs.refresh_from_db()
    assert (theirs.name, theirs.archived_at) == ("Secret Client NV", None)
    assert Client.objects.filter(pk=theirs.pk).exists()
    listed = outsider_client.get(reverse("clients"), {"q": "secret", "archived": "1"})
    assert b"Secret Client" not in listed.content


def test_a_new_client_is_made_for_the_users_own_company(outsider_client, outsider, company):
    assert create(outsider_client).status_code == 302
    made = Client.objects.get(name=BUSINESS["name"])
    assert made.company == outsider.memberships.get().company != company


def test_the_forms_keep_csrf_protection(client, owner, company):
    strict = HttpClient(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(reverse("client_new"), payload(BUSINESS, [])).status_code == 403
    mine = make_client(company)
    assert strict.post(reverse("client_archive", args=[mine.pk])).status_code == 403


def test_archive_and_unarchive_accept_only_post(owner_client, company):
    mine = make_client(company)
    for name in ("client_archive", "client_unarchive"):
        assert owner_client.get(reverse(name, args=[mine.pk])).status_code == 405
    mine.refresh_from_db()
    assert mine.archived_at is None


def test_anonymous_is_sent_to_login(client, company):
    mine = make_client(company)
    for method, url in [("get", reverse("client_new")), *client_urls(mine.pk)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

"""The minimal pages: login, documents list (filters, search, pagination), document page,
clients list and client page."""

import datetime
from decimal import Decimal

import pytest

from porto.documents.models import DocumentKind
from porto.documents.services import document_finalize, document_mark_sent
from porto.web.views import PAGE_SIZE
from tests.factories import make_client, make_document

pytestmark = pytest.mark.django_db


def numbers_on(response) -> list[str]:
    return [d.number or f"draft:{d.pk}" for d in response.context["page"]]


@pytest.fixture
def catalogue(company):
    peeters = make_client(company, name="Bakkerij Peeters")
    dubois = make_client(company, name="Brasserie Dubois", language="fr")
    day = datetime.date(2026, 4, 1)
    invoice = document_finalize(make_document(company, peeters), today=day)
    sent = document_finalize(make_document(company, dubois), today=day)
    document_mark_sent(sent)
    quote = document_finalize(make_document(company, dubois, kind=DocumentKind.QUOTE), today=day)
    draft = make_document(company, peeters)
    return {"invoice": invoice, "sent": sent, "quote": quote, "draft": draft}


def test_login_page(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"Log in to Porto" in response.content
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_home_goes_to_documents(owner_client):
    response = owner_client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/documents/")


def test_documents_list_shows_everything_newest_first_drafts_on_top(owner_client, catalogue):
    response = owner_client.get("/documents/")
    assert response.status_code == 200
    assert numbers_on(response) == [
        f"draft:{catalogue['draft'].pk}",
        "Q-2026-00001",
        "2026-00002",
        "2026-00001",
    ]
    assert b"Bakkerij Peeters" in response.content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "quote"}, ["Q-2026-00001"]),
        ({"kind": "invoice", "status": "finalized"}, ["2026-00002", "2026-00001"]),
        ({"status": "draft"}, ["draft"]),
        ({"status": "sent"}, ["2026-00002"]),
        ({"q": "2026-00001"}, ["Q-2026-00001", "2026-00001"]),
        ({"q": "Q-2026"}, ["Q-2026-00001"]),
        ({"q": "dubois"}, ["Q-2026-00001", "2026-00002"]),
        ({"q": "  peeters "}, ["draft", "2026-00001"]),
        ({"q": "nobody"}, []),
        ({"kind": "nonsense"}, []),
    ],
)
def test_documents_list_filters(owner_client, catalogue, params, expected):
    response = owner_client.get("/documents/", params)
    assert response.status_code == 200
    shown = [n if not n.startswith("draft:") else "draft" for n in numbers_on(response)]
    assert shown == expected
    if not expected:
        assert b"No documents match these filters." in response.content


def test_documents_list_marks_sent_documents(owner_client, catalogue):
    response = owner_client.get("/documents/", {"status": "sent"})
    assert b"<td>Sent</td>" in response.content


def test_documents_list_paginates_and_keeps_the_filters(owner_client, company):
    client = make_client(company)
    drafts = [make_document(company, client, kind=DocumentKind.QUOTE) for _ in range(PAGE_SIZE + 3)]
    make_document(company, client)  # an invoice, filtered out
    first = owner_client.get("/documents/", {"kind": "quote"})
    assert len(first.context["page"]) == PAGE_SIZE
    assert b"Page 1 of 2" in first.content
    assert b'href="?kind=quote&amp;page=2"' in first.content
    second = owner_client.get("/documents/", {"kind": "quote", "page": "2"})
    assert [d.pk for d in second.context["page"]] == [d.pk for d in drafts[:3]][::-1]
    assert b'href="?kind=quote&amp;page=1"' in second.content
    # A page number out of range or not a number shows a real page, not an error.
    assert owner_client.get("/documents/", {"page": "999"}).status_code == 200
    assert owner_client.get("/documents/", {"page": "x"}).status_code == 200


def test_document_page_shows_lines_and_totals(owner_client, company):
    client = make_client(company, name="Bakkerij Peeters")
    document = make_document(
        company,
        client,
        lines=[("3", "0.335", "S", "21"), ("2", "100", "K", "0", "Intra-community supply")],
        prepaid_amount=Decimal("1.00"),
        buyer_reference="PO-4711",
        delivery_date=datetime.date(2026, 3, 30),
        deliver_to_country="NL",
    )
    document = document_finalize(document, today=datetime.date(2026, 4, 1))
    response = owner_client.get(f"/documents/{document.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Invoice 2026-00001",
        "Bakkerij Peeters",
        "PO-4711",
        document.structured_communication,
        "Line 1",
        "Line 2",
        "1.01",  # 3 x 0.335 rounded per line
        "Intra-community supply",
        "€201.01",  # total excl. VAT
        "VAT S 21 % on €1.01",
        "€0.21",
        "€201.22",  # total incl. VAT
        "Prepaid",
        "€200.22",  # amount due
    ]:
        assert text in html, text


@pytest.mark.parametrize(
    ("language", "excl", "incl"),
    [
        ("nl", "5.020,39\xa0€", "6.074,67\xa0€"),
        ("fr", "5\u202f020,39\xa0€", "6\u202f074,67\xa0€"),
        ("en", "€5,020.39", "€6,074.67"),
    ],
)
def test_document_page_formats_amounts_in_the_ui_language(
    owner_client, company, language, excl, incl
):
    client = make_client(company, name="Brouwerij Het Anker")
    document = document_finalize(
        make_document(company, client, lines=[("1", "5020.39", "S", "21")])
    )
    page = owner_client.get(f"/documents/{document.pk}/", headers={"accept-language": language})
    html = page.content.decode()
    assert f'<td class="num">{excl}</td></tr>' in html  # the line, and the total excl. VAT
    assert '<tr class="due"><th>' in html and f'<td class="num">{incl}</td>' in html
    assert "EUR" not in html.split('<table class="totals">')[1].split("</table>")[0]


def test_draft_document_page(owner_client, company):
    draft = make_document(company, None, lines=[])
    response = owner_client.get(f"/documents/{draft.pk}/")
    assert response.status_code == 200
    assert b"(draft)" in response.content
    assert owner_client.get("/documents/999999/").status_code == 404


def test_clients_list_and_client_page(owner_client, company, catalogue):
    make_client(company, name="Ghost Imports", emails=("a@ghost.invalid", "b@ghost.example"))
    response = owner_client.get("/clients/")
    assert response.status_code == 200
    names = [c.name for c in response.context["page"]]
    assert names == sorted(names)
    assert {"Bakkerij Peeters", "Brasserie Dubois", "Ghost Imports"} <= set(names)
    assert "a@ghost.invalid ★" in response.content.decode()
    dubois = next(c for c in response.context["page"] if c.name == "Brasserie Dubois")
    page = owner_client.get(f"/clients/{dubois.pk}/")
    assert page.status_code == 200
    assert b"Q-2026-00001" in page.content
    assert b"2026-00002" in page.content
    assert b"Fran" in page.content  # language shown


@pytest.mark.parametrize(
    ("language", "shown"),
    [("nl", "6.074,67\xa0€"), ("fr", "6\u202f074,67\xa0€"), ("en", "€6,074.67")],
)
def test_client_page_formats_amounts_in_the_ui_language(owner_client, company, language, shown):
    client = make_client(company, name="Brouwerij Het Anker")
    document_finalize(make_document(company, client, lines=[("1", "5020.39", "S", "21")]))
    page = owner_client.get(f"/clients/{client.pk}/", headers={"accept-language": language})
    assert shown in page.content.decode()

"""Client reads: search with accents and case ignored (on SQLite and on PostgreSQL), by VAT
and KBO/BCE number and by email address; archived clients hidden unless asked; the document
count in a fixed number of queries; only active clients offered for new documents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from porto.clients.selectors import client_list, clients_for_new_documents
from porto.clients.services import client_archive
from tests.factories import make_client, make_document

pytestmark = pytest.mark.django_db


def names(company, **kwargs) -> list[str]:
    return [c.name for c in client_list(company, **kwargs)]


@pytest.fixture
def clients(company):
    return {
        "societe": make_client(company, name="Société Générale SA", language="fr"),
        "ecole": make_client(company, name="ÉCOLE DU CENTRE ASBL", language="fr"),
        "peeters": make_client(
            company,
            name="Bakkerij Peeters",
            contact_name="Jeroen Müller",
            vat_number="BE0403170701",
            kbo_number="0403170701",
            emails=("boekhouding@peeters-bakkerij.example",),
        ),
    }


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("societe", ["Société Générale SA"]),
        ("SOCIÉTÉ générale", ["Société Générale SA"]),
        ("école", ["ÉCOLE DU CENTRE ASBL"]),
        ("ecole du", ["ÉCOLE DU CENTRE ASBL"]),
        ("muller", ["Bakkerij Peeters"]),  # the contact person
        ("BE 0403.170.701", ["Bakkerij Peeters"]),
        ("0403170701", ["Bakkerij Peeters"]),
        ("403.170", ["Bakkerij Peeters"]),
        ("boekhouding@peeters", ["Bakkerij Peeters"]),
        ("PEETERS-BAKKERIJ.example", ["Bakkerij Peeters"]),
        ("nobody", []),
    ],
)
def test_search_ignores_accents_and_case_and_matches_numbers_and_addresses(
    company, clients, query, found
):
    assert names(company, search=query) == found


def test_search_stays_within_the_company(company, other_company, clients):
    make_client(other_company, name="Société Anonyme Ailleurs")
    assert names(company, search="societe") == ["Société Générale SA"]


def test_archived_clients_are_hidden_unless_asked(company, clients):
    client_archive(clients["ecole"])
    assert "ÉCOLE DU CENTRE ASBL" not in names(company)
    assert "ÉCOLE DU CENTRE ASBL" in names(company, show_archived=True)
    assert names(company, search="ecole", show_archived=True) == ["ÉCOLE DU CENTRE ASBL"]


def test_each_client_counts_its_documents(company, clients):
    make_document(company, clients["peeters"])
    make_document(company, clients["peeters"])
    counts = {c.name: c.document_count for c in client_list(company)}
    assert counts["Bakkerij Peeters"] == 2
    assert counts["Société Générale SA"] == 0


def queries_to_list(company) -> int:
    with CaptureQueriesContext(connection) as captured:
        for client in client_list(company):
            _ = client.document_count, [e.address for e in client.emails.all()]
    return len(captured)


def test_the_list_takes_as_many_queries_for_25_clients_as_for_5(company, other_company):
    for n in range(5):
        make_document(company, make_client(company, emails=(f"a{n}@x.example", f"b{n}@x.example")))
    five = queries_to_list(company)
    for n in range(25):
        make_document(
            other_company, make_client(other_company, emails=(f"c{n}@x.example", f"d{n}@x.example"))
        )
    assert queries_to_list(other_company) == five == 2


def test_only_active_clients_are_offered_for_new_documents(company, other_company, clients):
    client_archive(clients["societe"])
    make_client(other_company, name="Elders BV")
    offered = [c.name for c in clients_for_new_documents(company)]
    assert offered == ["Bakkerij Peeters", "ÉCOLE DU CENTRE ASBL"]

"""Hostile input in the overview's search: a NUL or other control character is ignored and
an overlong search is cut, on SQLite and PostgreSQL alike; never a server error."""

import pytest
from django.urls import reverse

from porto.web.selectors import MAX_SEARCH_CHARS, search_text
from tests.factories import make_client, make_finalized
from tests.web.test_overview import overview

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_search_is_ignored(owner_client, company):
    theirs = make_finalized(company, make_client(company, name="Bakkerij Peeters"))
    response = overview(owner_client, q="pee\x00ters")
    assert response.status_code == 200
    assert theirs.number in response.content.decode()


def test_control_characters_in_the_search_are_ignored(owner_client, company):
    theirs = make_finalized(company, make_client(company, name="Bakkerij Peeters"))
    response = overview(owner_client, q="\x1bpee\x07ters\x9b")
    assert response.status_code == 200
    assert theirs.number in response.content.decode()


def test_an_overlong_search_is_cut_and_answered(owner_client, company):
    theirs = make_finalized(company, make_client(company, name="Bakkerij Peeters"))
    response = overview(owner_client, q="peeters" + "x" * 5000)
    assert response.status_code == 200
    assert theirs.number not in response.content.decode()


def test_a_bulk_send_of_a_search_with_a_nul_plans_the_matching_document(owner_client, company):
    make_finalized(company, make_client(company, name="Bakkerij Peeters"))
    make_finalized(company, make_client(company, name="Brasserie Dupont"))
    response = owner_client.post(reverse("bulk_summary"), {"scope": "filter", "q": "pee\x00ters"})
    assert response.status_code == 200
    assert response.context["matching"] == 1


def test_search_text_keeps_letters_and_cuts_at_the_limit():
    assert search_text("  Café\x00 Élysée\t ") == "Café Élysée"
    assert len(search_text("a" * 1000)) == MAX_SEARCH_CHARS

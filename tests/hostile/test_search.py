"""The overview's search over every catalogue entry tried on it: control characters are
ignored and an overlong search is cut, on SQLite and PostgreSQL alike; wildcards and quotes are
searched for as text. Never a server error, and never another company's documents."""

import pytest
from django.urls import reverse

from porto.web.selectors import MAX_SEARCH_CHARS, search_text
from tests.factories import make_client, make_finalized
from tests.hostile.catalogue import Accepted, Neutralised, cases
from tests.web.test_overview import overview

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("entry", "use"), cases("search"))
def test_the_search_ignores_cuts_or_searches_each_entry_as_text(
    owner_client, company, other_company, entry, use
):
    theirs = make_finalized(company, make_client(company, name="Bakkerij Peeters"))
    make_finalized(other_company, make_client(other_company, name="Peeters Elders"))
    response = overview(owner_client, **{use.field: entry.built()})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Peeters Elders" not in page
    if isinstance(use.outcome, Neutralised) and use.outcome.check == "ignored":
        assert theirs.number in page  # the search found it without the characters
    elif isinstance(use.outcome, Neutralised):
        assert use.outcome.check == "cut"
        assert theirs.number not in page  # cut to MAX_SEARCH_CHARS: "peetersxxx…" matches none
    else:
        assert isinstance(use.outcome, Accepted)
        assert theirs.number not in page  # the wildcards are text: nothing matches them


def test_a_bulk_send_of_a_search_with_a_nul_plans_the_matching_document(owner_client, company):
    make_finalized(company, make_client(company, name="Bakkerij Peeters"))
    make_finalized(company, make_client(company, name="Brasserie Dupont"))
    response = owner_client.post(reverse("bulk_summary"), {"scope": "filter", "q": "pee\x00ters"})
    assert response.status_code == 200
    assert response.context["matching"] == 1


def test_search_text_keeps_letters_and_cuts_at_the_limit():
    assert search_text("  Café\x00 Élysée\t ") == "Café Élysée"
    assert len(search_text("a" * 1000)) == MAX_SEARCH_CHARS

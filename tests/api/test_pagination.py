"""Polling: cursor pages in (updated_at, id) order, ``limit`` up to 200, ``updated_since``."""

from datetime import timedelta

import pytest
from django.utils import timezone

from porto.clients.models import Client
from tests.api.conftest import error_of
from tests.factories import make_client

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def all_pages(api, params: dict) -> list[list[int]]:
    pages, response = [], api.get(CLIENTS, params)
    while True:
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            return pages
        response = api.http.get(body["next"], **api.headers({}))


def test_cursor_pages_follow_updated_at_then_id_without_gaps(api, company):
    clients = [make_client(company) for _ in range(5)]
    moment = timezone.now() - timedelta(hours=1)
    Client.objects.filter(pk__in=[c.pk for c in clients[:3]]).update(updated_at=moment)
    expected = [c.pk for c in clients[:3]] + [c.pk for c in clients[3:]]
    assert all_pages(api, {"limit": 2}) == [expected[0:2], expected[2:4], expected[4:]]


def test_updated_since_returns_rows_changed_at_or_after_it(api, company):
    old, new = make_client(company), make_client(company)
    Client.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    response = api.get(CLIENTS, {"updated_since": since})
    assert [row["id"] for row in response.json()["results"]] == [new.pk]


def test_updated_since_with_an_offset_postgresql_refuses_is_compared_in_utc(api, company):
    # Found by schemathesis: -19:28 is a valid ISO 8601 offset that PostgreSQL refuses.
    client = make_client(company)
    response = api.get(CLIENTS, {"updated_since": "2000-06-12T04:44:05-19:28"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [client.pk]
    later = api.get(CLIENTS, {"updated_since": "3469-06-12T04:44:05-19:28"})
    assert later.status_code == 200 and later.json()["results"] == []


def test_a_change_moves_the_client_to_the_end_for_pollers(api, company):
    first, second = make_client(company), make_client(company)
    api.patch(f"{CLIENTS}{first.pk}/", {"city": "Brugge"})
    assert [row["id"] for row in api.get(CLIENTS).json()["results"]] == [second.pk, first.pk]


@pytest.mark.parametrize("limit", ["0", "201", "abc", "-1"])
def test_a_limit_outside_1_to_200_is_refused_on_limit(api, limit):
    response = api.get(CLIENTS, {"limit": limit})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "limit": [{"code": "invalid", "message": "Give limit as a whole number from 1 to 200."}]
    }


def test_a_forged_cursor_is_refused_on_cursor(api):
    response = api.get(CLIENTS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert error_of(response)["fields"]["cursor"][0]["message"] == (
        "This cursor is not valid: use the next or previous link as given."
    )


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-13-01T00:00:00Z", "9999-12-31T23:00:00-05:00"]
)
def test_an_updated_since_that_is_no_moment_is_refused_on_its_field(api, value):
    response = api.get(CLIENTS, {"updated_since": value})
    assert response.status_code == 400
    assert error_of(response)["fields"]["updated_since"][0]["message"] == (
        "Give updated_since as a date and time in ISO 8601, like 2026-12-01T09:30:00Z."
    )

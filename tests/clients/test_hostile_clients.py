"""Hostile input in a client's name and address: line breaks, control characters and direction
overrides are refused next to the field, and nothing is saved."""

import pytest
from django.urls import reverse

from porto.clients.models import Client
from tests.factories import make_client
from tests.web.test_clients import BUSINESS, create, errors_next_to, payload, rows_of

pytestmark = pytest.mark.django_db

CONTROL = (
    "The field “%s” contains an invisible control character (%s): remove it, for example by "
    "typing the text again instead of pasting it."
)


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        (
            {"name": "Acme BV\r\nBcc: all@evil.example"},
            "id_name",
            "The field “name” must be on one line: remove the line break.",
        ),
        ({"name": "Acme\x1b[2J BV"}, "id_name", CONTROL % ("name", "U+001B")),
        ({"name": "Acme\x9bBV"}, "id_name", CONTROL % ("name", "U+009B")),
        (
            {"contact_name": "Jan\tPeeters"},
            "id_contact_name",
            CONTROL % ("for the attention of", "U+0009"),
        ),
        (
            {"street": "Kerkstraat\u2028 1"},
            "id_street",
            "The field “street and number” must be on one line: remove the line break.",
        ),
        (
            {"city": "Gent\u202e"},
            "id_city",
            "The field “city” contains an invisible character that changes the reading direction "
            "(U+202E): remove it, so the text reads as it is stored.",
        ),
    ],
)
def test_a_hostile_client_field_is_refused_next_to_it(owner_client, fields, field_id, message):
    response = create(owner_client, fields)
    assert response.status_code == 400
    assert errors_next_to(response.content.decode(), field_id) == [message]
    assert not Client.objects.exists()


def test_an_edit_with_a_line_break_in_the_name_changes_nothing(owner_client, company):
    client = make_client(company, name="Bakkerij Peeters", emails=("a@peeters.example",))
    fields = BUSINESS | {"name": "Bakkerij\nPeeters"}
    response = owner_client.post(
        reverse("client_edit", args=[client.pk]), payload(fields, rows_of(client), initial=1)
    )
    assert response.status_code == 400
    client.refresh_from_db()
    assert client.name == "Bakkerij Peeters"


def test_an_outsider_cannot_edit_a_client_even_with_a_hostile_name(outsider_client, company):
    client = make_client(company, name="Bakkerij Peeters", emails=("a@peeters.example",))
    fields = BUSINESS | {"name": "Bakkerij\nPeeters"}
    url = reverse("client_edit", args=[client.pk])
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url, payload(fields, rows_of(client), initial=1)).status_code == 404


def test_a_name_with_accents_and_punctuation_is_accepted(owner_client):
    response = create(owner_client, {"name": "Brasserie « L'Écluse » & Fils — Café"})
    assert response.status_code == 302
    assert Client.objects.get().name == "Brasserie « L'Écluse » & Fils — Café"

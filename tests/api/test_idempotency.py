"""Idempotency-Key: the same key and body does the work once and replays the first answer;
another body is 422; a refused request keeps no key; keys are forgotten after 24 hours."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from porto.api.models import IdempotencyKey
from porto.clients.models import Client
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"
BODY = {"name": "Brouwerij Het Anker NV", "emails": [{"address": "boekhouding@hetanker.example"}]}


def test_the_same_key_twice_creates_one_client_and_replays_the_first_answer(api):
    first = api.post(CLIENTS, BODY, **{"Idempotency-Key": "order-1001"})
    again = api.post(CLIENTS, BODY, **{"Idempotency-Key": "order-1001"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Client.objects.count() == 1


def test_the_same_json_with_other_spacing_and_key_order_is_the_same_request(api):
    api.post(CLIENTS, BODY, **{"Idempotency-Key": "k"})
    reordered = json.dumps(dict(reversed(list(BODY.items()))), indent=4)
    assert api.post(CLIENTS, reordered, **{"Idempotency-Key": "k"}).status_code == 201
    assert Client.objects.count() == 1


def test_the_same_key_with_another_body_is_422_and_does_nothing(api):
    api.post(CLIENTS, BODY, **{"Idempotency-Key": "order-1001"})
    response = api.post(CLIENTS, BODY | {"name": "Other NV"}, **{"Idempotency-Key": "order-1001"})
    assert response.status_code == 422
    assert error_of(response) == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used for another request: send a new key "
        "for a new request, or the same body to get the first answer again.",
    }
    assert list(Client.objects.values_list("name", flat=True)) == ["Brouwerij Het Anker NV"]


def test_keys_are_per_company(api, outsider_api):
    api.post(CLIENTS, BODY, **{"Idempotency-Key": "k"})
    response = outsider_api.post(CLIENTS, BODY | {"name": "Theirs"}, **{"Idempotency-Key": "k"})
    assert response.status_code == 201
    assert Client.objects.count() == 2


def test_a_refused_request_keeps_no_key_so_the_fixed_body_may_use_it(api):
    refused = api.post(CLIENTS, {"name": ""}, **{"Idempotency-Key": "k"})
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert api.post(CLIENTS, BODY, **{"Idempotency-Key": "k"}).status_code == 201


def test_a_key_older_than_24_hours_counts_as_new(api):
    api.post(CLIENTS, BODY, **{"Idempotency-Key": "k"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert api.post(CLIENTS, BODY, **{"Idempotency-Key": "k"}).status_code == 201
    assert Client.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_the_purge_command_deletes_keys_older_than_24_hours(api):
    api.post(CLIENTS, BODY, **{"Idempotency-Key": "old"})
    api.post(CLIENTS, BODY | {"name": "B"}, **{"Idempotency-Key": "new"})
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    call_command("purge_idempotency_keys", stdout=io.StringIO())
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_key_stores_method_path_and_a_hash_of_the_body_not_the_body(api):
    api.post(CLIENTS, BODY, **{"Idempotency-Key": "k"})
    row = IdempotencyKey.objects.get()
    assert (row.method, row.path, row.status_code) == ("POST", CLIENTS, 201)
    assert len(row.body_hash) == 64 and "hetanker" not in row.body_hash


def test_a_key_longer_than_255_characters_is_refused_on_the_header(api):
    response = api.post(CLIENTS, BODY, **{"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "Idempotency-Key": [
            {
                "code": "invalid",
                "message": "Give Idempotency-Key as 1 to 255 characters, such as a UUID.",
            }
        ]
    }
    assert not Client.objects.exists()

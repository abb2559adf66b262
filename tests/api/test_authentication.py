"""Bearer tokens: missing, malformed, unknown or revoked → 401 in the error shape with
WWW-Authenticate; a valid one acts for its company and records its use once a minute;
a session works too, with DRF's CSRF check."""

from datetime import timedelta

import pytest
from django.test import Client as HttpClient

from porto.api.models import ApiToken, secret_hash
from porto.api.services import token_revoke
from tests.api.conftest import error_of
from tests.factories import make_client, make_user

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def assert_401(response, code: str, message: str) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert error_of(response) == {"code": code, "message": message}


def test_no_token_is_401_not_authenticated_with_www_authenticate(anonymous_api):
    assert_401(
        anonymous_api.get(CLIENTS),
        "not_authenticated",
        "Send an API token in the header 'Authorization: Bearer porto_…'; an owner creates "
        "one in Settings > API tokens.",
    )


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer porto_short", "Bearer abc" + "x" * 43, "Bearer porto_" + "!" * 43],
)
def test_a_malformed_token_is_401_token_invalid(anonymous_api, header):
    response = anonymous_api.get(CLIENTS, HTTP_AUTHORIZATION=header)
    assert_401(
        response,
        "token_invalid",
        "The token is malformed: send the header as 'Authorization: Bearer porto_…' with "
        "the whole token you copied when it was created.",
    )


def test_an_unknown_token_is_401_token_invalid(anonymous_api):
    response = anonymous_api.get(CLIENTS, HTTP_AUTHORIZATION="Bearer porto_" + "A" * 43)
    assert_401(
        response,
        "token_invalid",
        "This token is not known: check that you copied the whole token.",
    )


def test_a_revoked_token_is_401_token_revoked(api, token):
    token_revoke(token.token)
    assert_401(
        api.get(CLIENTS),
        "token_revoked",
        "This token is revoked: an owner can create a new one in Settings > API tokens.",
    )


def test_the_token_is_stored_only_as_its_sha256(token):
    row = ApiToken.objects.values().get(pk=token.token.pk)
    assert token.secret not in str(row)
    assert row["secret_hash"] == secret_hash(token.secret)
    assert row["prefix"] == token.secret[:14] and token.secret.startswith("porto_")


def test_a_token_acts_for_its_own_company_only(api, company, other_company):
    mine = make_client(company, name="Mine NV")
    make_client(other_company, name="Theirs NV")
    response = api.get(CLIENTS)
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_last_used_is_recorded_at_most_once_a_minute(api, token):
    api.get(CLIENTS)
    first = ApiToken.objects.get(pk=token.token.pk).last_used_at
    assert first is not None
    api.get(CLIENTS)
    assert ApiToken.objects.get(pk=token.token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get(CLIENTS)
    assert ApiToken.objects.get(pk=token.token.pk).last_used_at > first - timedelta(minutes=1)


def test_a_session_reads_for_the_users_company(owner_client, company):
    mine = make_client(company)
    response = owner_client.get(CLIENTS)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_a_session_write_without_the_csrf_token_is_refused(owner):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post(CLIENTS, {"name": "X"}, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_a_session_write_with_the_csrf_token_is_accepted(owner):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.get("/settings/api-tokens/")  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        CLIENTS, {"name": "X NV"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201, response.content


def test_a_signed_in_user_of_no_company_is_refused(client):
    client.force_login(make_user())
    response = client.get(CLIENTS)
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"

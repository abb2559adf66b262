"""Every error in one JSON shape with a stable code: malformed JSON, unknown fields, bodies too
large, unknown URLs under /api/, a crash, and messages in the request's language."""

import pytest
from django.test import RequestFactory

from porto.api import errors
from porto.clients.models import Client
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


def test_malformed_json_is_400_malformed_json(api):
    response = api.post(CLIENTS, '{"name": "Brouwerij", }')
    assert response.status_code == 400
    assert error_of(response) == {
        "code": "malformed_json",
        "message": "The request body is not valid JSON: check its quotes, commas and brackets.",
    }


def test_unknown_fields_are_400_unknown_field_naming_each(api):
    response = api.post(CLIENTS, {"name": "Brouwerij NV", "vat": "BE0403170701", "nmae": "x"})
    assert response.status_code == 400
    unknown = {
        "code": "unknown_field",
        "message": "Unknown field: remove it, or check its spelling.",
    }
    assert error_of(response) == {
        "code": "unknown_field",
        "message": "Unknown fields: nmae, vat. Remove them and send the request again.",
        "fields": {"nmae": [unknown], "vat": [unknown]},
    }
    assert not Client.objects.exists()


def test_an_unknown_field_in_a_nested_address_is_named_with_its_index(api):
    body = {"name": "Brouwerij NV", "emails": [{"address": "a@b.example", "default": True}]}
    response = api.post(CLIENTS, body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "unknown_field"
    assert list(error_of(response)["fields"]) == ["emails.0.default"]


def test_a_wrong_type_is_400_validation_error_on_its_field(api):
    response = api.post(CLIENTS, {"name": "Brouwerij NV", "emails": "a@b.example"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"]["emails"][0]["code"] == "not_a_list"


def test_a_body_over_the_limit_is_413_payload_too_large(api, settings):
    settings.PORTO_API_MAX_BODY_BYTES = 2048
    response = api.post(CLIENTS, {"name": "x" * 3000})
    assert response.status_code == 413
    assert error_of(response) == {
        "code": "payload_too_large",
        "message": "The request body is 3 KB; this endpoint accepts at most 2 KB.",
    }


def test_an_unknown_api_address_is_a_json_404(api):
    response = api.get("/api/v1/no-such-resource/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response) == {
        "code": "not_found",
        "message": "Nothing was found here: check the address and the id.",
    }


def test_a_404_outside_the_api_stays_a_page(owner_client):
    response = owner_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_under_the_api_is_a_json_500():
    response = errors.server_error(RequestFactory().get("/api/v1/clients/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert b'"code": "server_error"' in response.content


def test_a_crash_outside_the_api_is_the_usual_page():
    response = errors.server_error(RequestFactory().get("/documents/"))
    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("language", "message"),
    [("nl", "Vul de naam van de klant in."), ("fr", "Indiquez le nom du client.")],
)
def test_field_messages_follow_accept_language(api, language, message):
    response = api.post(CLIENTS, {"city": "Gent"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert error_of(response)["fields"]["name"] == [{"code": "required", "message": message}]


def test_a_form_encoded_body_is_415_unsupported_media_type(api):
    response = api.http.post(CLIENTS, {"name": "Brouwerij NV"}, **api.headers({}))
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    assert not Client.objects.exists()


def test_a_method_the_endpoint_lacks_is_405_method_not_allowed(api):
    response = api.send("put", CLIENTS, {"name": "Brouwerij NV"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_body_that_is_not_an_object_is_refused_without_a_crash(api):
    response = api.post(CLIENTS, "[1, 2]")
    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"
    assert list(error_of(response)["fields"]) == ["non_field_errors"]

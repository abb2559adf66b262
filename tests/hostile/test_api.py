"""The REST API over every catalogue entry tried on it: a refusal is a JSON error with its
stable code (and, for a field, the send path's or the client form's own words under the
field), nothing saved and nothing queued; text that looks like code is saved as typed. A body
announced over the limit is refused (413) before a byte of it is read."""

import json

import pytest
from django.test import Client as HttpClient

from porto.api.services import token_create
from porto.clients.models import Client
from porto.mail.models import OutgoingEmail
from tests.hostile.catalogue import Accepted, Refused, cases
from tests.hostile.streams import announced

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"
NEW_CLIENT = {"name": "Brouwerij Het Anker NV", "country": "BE", "language": "nl"}
CLIENT_FIELDS = {"name"}
BODY_FIELDS = {"body", "body size", "multipart size"}


@pytest.fixture
def api(company, owner):
    secret = token_create(company, owner, "Webshop").secret
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {secret}")


def send_path(document) -> str:
    return f"/api/v1/documents/{document.pk}/send/"


def posted(api, invoice, field: str, value):
    """The request for ``field`` (a client field, a send field, or the body as a whole)."""
    if field == "multipart size":
        kind = "multipart/form-data; boundary=PortoBoundary"
        return api.post(send_path(invoice), b"", "text/plain", **announced(value, kind))
    if field == "body size":
        return api.post(CLIENTS, b"", "text/plain", **announced(value, "application/json"))
    if field == "body" and isinstance(value, bytes | str) and not _is_send_text(value):
        return api.post(CLIENTS, value, content_type="application/json")
    if field in CLIENT_FIELDS:
        return api.post(CLIENTS, NEW_CLIENT | {field: value}, content_type="application/json")
    if field in ("to", "cc"):
        value = value if isinstance(value, list) else [value]
    return api.post(send_path(invoice), {field: value}, content_type="application/json")


def _is_send_text(value) -> bool:
    """A text typed as the email's body, as opposed to a whole raw request body."""
    return isinstance(value, str) and not value.lstrip().startswith(("<?xml", "{"))


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


@pytest.mark.parametrize(("entry", "use"), cases("api"))
def test_the_api_refuses_with_a_code_and_the_words_or_saves_as_typed(api, invoice, entry, use):
    value = entry.built()
    response = posted(api, invoice, use.field, value)
    if isinstance(use.outcome, Refused):
        assert 400 <= response.status_code < 500, response.content
        error = error_of(response)
        if use.field in BODY_FIELDS and use.outcome.code != "invalid":
            assert error["code"] == use.outcome.code
            assert use.outcome.fragment in error["message"]
        else:
            assert error["code"] == "validation_error"
            problems = error["fields"][use.field]
            assert any(use.outcome.fragment in p["message"] for p in problems), problems
            assert {p["code"] for p in problems} != {""}
        assert not OutgoingEmail.objects.exists()
        assert not Client.objects.exclude(pk=invoice.client_id).exists()
        return
    assert isinstance(use.outcome, Accepted)
    assert response.status_code in (201, 202), response.content
    if use.field in CLIENT_FIELDS:
        assert Client.objects.get(pk=response.json()["id"]).name == value
    else:
        email = OutgoingEmail.objects.get()
        assert [r.address for r in email.recipients.all()] == [value.rsplit("<", 1)[-1].rstrip(">")]


def test_a_json_send_request_is_held_to_the_json_limit_not_the_attachments_one(api, invoice):
    body = json.dumps({"subject": "Votre facture", "pad": "x" * (2 * 1024 * 1024)})
    response = api.post(send_path(invoice), body, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert not OutgoingEmail.objects.exists()

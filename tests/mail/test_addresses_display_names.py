"""A quoted display name holding a comma is one address wherever addresses are typed: the
pop-up's To, Cc and Bcc, the API, and a client's email addresses. Checked on the rows and on
the headers of the message ``porto.mail.compose`` builds."""

import email
import email.policy
import uuid
from email.utils import getaddresses

import pytest
from django.core.exceptions import ValidationError
from django.test.client import encode_multipart
from django.urls import reverse

from porto.api.services import token_create
from porto.clients.models import Client
from porto.mail.compose import as_bytes, compose
from porto.mail.models import OutgoingEmail
from porto.mail.requests import SendRequest, email_send
from porto.web.forms import address_list

JSON = {"HTTP_ACCEPT": "application/json"}
BOUNDARY = "porto-test-boundary"


@pytest.fixture(autouse=True)
def no_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def header_addresses(sent: OutgoingEmail, name: str) -> list[tuple[str, str]]:
    message = email.message_from_bytes(as_bytes(compose(sent)), policy=email.policy.default)
    return getaddresses([str(message[name])])


def test_a_quoted_name_with_a_comma_is_one_entry():
    assert address_list(['"Doe, John" <john@example.com>, piet@example.com']) == [
        '"Doe, John" <john@example.com>',
        "piet@example.com",
    ]


def test_the_pop_up_sends_a_quoted_name_with_a_comma_as_one_recipient(owner_client, invoice):
    response = owner_client.post(
        reverse("document_send", args=[invoice.pk]),
        {
            "to": ['"Doe, John" <john@example.com>'],
            "cc": '"Janssens, Marie" <marie@example.com>; piet@example.com',
            "bcc": "",
            "subject": "Uw factuur",
            "body": "Goedendag,\n\nIn bijlage vindt u de factuur.",
            "file_format": "pdf",
            "idempotency_key": uuid.uuid4().hex,
        },
        **JSON,
    )
    assert response.status_code == 200, response.content
    sent = OutgoingEmail.objects.get()
    assert [(r.kind, r.name, r.address) for r in sent.recipients.order_by("position")] == [
        ("to", "Doe, John", "john@example.com"),
        ("cc", "Janssens, Marie", "marie@example.com"),
        ("cc", "", "piet@example.com"),
    ]
    assert header_addresses(sent, "To") == [("Doe, John", "john@example.com")]
    assert header_addresses(sent, "Cc") == [
        ("Janssens, Marie", "marie@example.com"),
        ("", "piet@example.com"),
    ]


def test_an_unquoted_name_with_a_comma_is_refused_naming_the_part(invoice):
    with pytest.raises(ValidationError) as caught:
        email_send(SendRequest(document=invoice, to=address_list(["Doe, John <john@example.com>"])))
    [message] = caught.value.message_dict["to"]
    assert "Doe" in message


def test_the_api_takes_a_quoted_name_with_a_comma_as_one_recipient(client, company, owner, invoice):
    token = token_create(company, owner, "Integration").secret
    body = encode_multipart(BOUNDARY, {"to": '"Doe, John" <john@example.com>, piet@example.com'})
    response = client.generic(
        "POST",
        f"/api/v1/documents/{invoice.pk}/send/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 202, response.content
    sent = OutgoingEmail.objects.get()
    assert [(r.name, r.address) for r in sent.recipients.order_by("position")] == [
        ("Doe, John", "john@example.com"),
        ("", "piet@example.com"),
    ]


def client_form(address: str, label: str = "") -> dict:
    return {
        "kind": "business",
        "name": "Bakkerij Peeters",
        "street": "Kerkstraat 1",
        "postal_code": "2000",
        "city": "Antwerpen",
        "country": "BE",
        "language": "nl",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-MIN_NUM_FORMS": "0",
        "emails-MAX_NUM_FORMS": "1000",
        "emails-0-address": address,
        "emails-0-label": label,
        "emails-0-is_default": "on",
    }


def test_a_client_address_pasted_with_its_name_keeps_the_address_and_labels_it(
    owner_client, company
):
    response = owner_client.post(
        reverse("client_new"), client_form('"Doe, John" <john@example.com>')
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [row] = Client.objects.get(company=company).emails.all()
    assert (row.address, row.label) == ("john@example.com", "Doe, John")


def test_a_client_address_with_a_name_keeps_the_label_typed(owner_client, company):
    form = client_form('"Doe, John" <john@example.com>', label="Boekhouding")
    assert owner_client.post(reverse("client_new"), form).status_code == 302
    [row] = Client.objects.get(company=company).emails.all()
    assert (row.address, row.label) == ("john@example.com", "Boekhouding")


def test_two_addresses_in_one_client_row_are_refused(owner_client, company):
    response = owner_client.post(
        reverse("client_new"), client_form('"Doe, John" <john@example.com>, x@example.com')
    )
    assert response.status_code == 400
    assert "is not one email address" in response.content.decode()
    assert not Client.objects.filter(company=company).exists()

"""Hostile input in a send request: control characters in the body (plain and HTML), a body
over the one limit, and a display name longer than an email can store are refused under their
field, at every door, and nothing is queued."""

import pytest
from django.urls import reverse

from porto.lib.text import MAX_BODY_CHARS
from porto.mail.models import OutgoingEmail
from porto.mail.requests import SendRequest
from porto.mail.send.problems import send_problems
from tests.mail.conftest import prestore_pdf
from tests.web.test_send_path import (
    BODY,
    JSON,
    SUBJECT,
    as_post,
    as_request,
    through_the_page,
    through_the_service,
)

pytestmark = pytest.mark.django_db

CONTROL_IN_MESSAGE = (
    "The field “message” contains an invisible control character (%s): remove it, for example by "
    "typing the text again instead of pasting it."
)
LONG_NAME = "Comptabilité " * 16  # 208 characters
NAME_TOO_LONG = (
    "The name in compta@cafe-elysee.example has 207 characters; keep it under 200, or give "
    "the address alone."
)

CASES = {
    "escape in the body": (
        {"body": "Bonjour,\x1b[2J\n\nVoici la facture."},
        "body",
        [CONTROL_IN_MESSAGE % "U+001B"],
    ),
    "bell in the body": ({"body": "Bonjour\x07"}, "body", [CONTROL_IN_MESSAGE % "U+0007"]),
    "C1 control in the body": ({"body": "Bonjour\x9b31m"}, "body", [CONTROL_IN_MESSAGE % "U+009B"]),
    "100 KB body": (
        {"body": "x" * 100 * 1024},
        "body",
        [f"The message has {100 * 1024} characters; it can have at most {MAX_BODY_CHARS}."],
    ),
    "display name over 200 characters": (
        {"to": [f"{LONG_NAME} <compta@cafe-elysee.example>"]},
        "to",
        [NAME_TOO_LONG],
    ),
}


@pytest.fixture
def stored_invoice(invoice):
    prestore_pdf(invoice)
    return invoice


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_refused_under_its_field_at_every_door(owner_client, stored_invoice, case):
    typed, field, expected = CASES[case]
    problems = send_problems(as_request(stored_invoice, typed))
    assert problems == {field: expected}
    assert through_the_service(stored_invoice, typed) == problems
    assert through_the_page(owner_client, stored_invoice, typed) == problems
    assert not OutgoingEmail.objects.exists()


def test_an_escape_in_a_given_html_body_is_refused(stored_invoice):
    request = SendRequest(
        document=stored_invoice,
        to=["compta@cafe-elysee.example"],
        subject=SUBJECT,
        body_text=BODY,
        body_html="<p>Bonjour\x1b[31m</p>",
        file_format="pdf",
    )
    assert send_problems(request) == {"body": [CONTROL_IN_MESSAGE % "U+001B"]}


def test_line_breaks_tabs_and_a_200_character_name_are_accepted(stored_invoice):
    name = "C" * 200
    typed = {
        "to": [f"{name} <compta@cafe-elysee.example>"],
        "body": "Bonjour,\r\n\r\nMontant :\t300,00 €\r\nMerci.",
    }
    assert send_problems(as_request(stored_invoice, typed)) == {}


def test_an_outsider_cannot_send_another_company_s_document(outsider_client, stored_invoice):
    url = reverse("document_send", args=[stored_invoice.pk])
    response = outsider_client.post(url, as_post({"body": "Bonjour\x07"}), **JSON)
    assert response.status_code == 404
    assert not OutgoingEmail.objects.exists()

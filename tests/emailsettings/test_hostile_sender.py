"""Hostile input in Settings > Email settings: a sender name that looks like an address or
hides a line separator, and an address whose local part is too long, are refused next to the
field, and nothing is saved."""

import pytest

from porto.emailsettings.selectors import email_settings_for
from tests.emailsettings.test_email_settings_views import (
    METHOD,
    OPTIONS,
    method_data,
    options_data,
    stored_row,
)

pytestmark = pytest.mark.django_db

LONG_LOCAL = "f" * 65 + "@acme.example"
TOO_LONG = (
    f"{LONG_LOCAL} is not a valid email address: the part before the @ has 65 characters, "
    "and mail servers accept at most 64."
)


@pytest.mark.parametrize(
    ("sender_name", "message"),
    [
        (
            "billing@kbc.example",
            "The sender name billing@kbc.example looks like an email address: write a name, "
            "such as your company's name; the address the email comes from is set apart.",
        ),
        (
            "KBC Facturatie <billing@kbc.example>",
            "The sender name KBC Facturatie <billing@kbc.example> looks like an email "
            "address: write a name, such as your company's name; the address the email comes "
            "from is set apart.",
        ),
        ("Acme\u2028BV", "The field “sender name” must be on one line: remove the line break."),
        (
            "Acme\x07BV",
            "The field “sender name” contains an invisible control character (U+0007): remove it, "
            "for example by typing the text again instead of pasting it.",
        ),
    ],
)
def test_a_hostile_sender_name_is_refused_next_to_the_field(
    owner_client, company, sender_name, message
):
    owner_client.post(OPTIONS, options_data())
    before = stored_row(company)

    response = owner_client.post(OPTIONS, options_data(sender_name=sender_name))

    assert response.status_code == 200
    assert response.context["options_form"].errors["sender_name"] == [message]
    assert stored_row(company) == before


def test_a_name_with_an_at_sign_that_is_no_address_is_accepted(owner_client, company):
    response = owner_client.post(OPTIONS, options_data(sender_name="Bakkerij @ de Markt"))
    assert response.status_code == 302
    assert email_settings_for(company).sender_name == "Bakkerij @ de Markt"


def test_a_reply_to_with_a_65_character_local_part_is_refused(owner_client, company):
    before = stored_row(company)
    response = owner_client.post(OPTIONS, options_data(reply_to=LONG_LOCAL))
    assert response.context["options_form"].errors["reply_to"] == [TOO_LONG]
    assert stored_row(company) == before


def test_a_from_address_with_a_65_character_local_part_is_refused(owner_client, company):
    response = owner_client.post(
        METHOD, method_data(smtp_from_address=LONG_LOCAL, smtp_password="geheim")
    )
    assert response.status_code == 200
    assert TOO_LONG.encode() in response.content
    assert email_settings_for(company).method == "platform"


def test_a_64_character_local_part_is_accepted(owner_client, company):
    address = "f" * 64 + "@acme.example"
    response = owner_client.post(OPTIONS, options_data(reply_to=address))
    assert response.status_code == 302
    assert email_settings_for(company).reply_to == address


def test_an_outsider_cannot_post_a_hostile_sender_name_into_another_company(
    outsider_client, company
):
    before = stored_row(company)
    outsider_client.post(OPTIONS, options_data(sender_name="billing@kbc.example"))
    assert stored_row(company) == before

""" "Send test email" while the platform method is chosen: the report names the real problem
next to the field that causes it, instead of pointing at fields that are hidden."""

import re

import pytest
from django.urls import reverse

from porto.emailsettings.selectors import email_settings_for
from tests.emailsettings.test_email_settings_views import method_data

pytestmark = pytest.mark.django_db

TEST = reverse("email_settings_test")
PLATFORM_NOT_TESTABLE = (
    "The test email checks your own mailbox: choose Own mailbox (SMTP) and fill in its server "
    "first. With the platform method Porto sends for you and there is nothing to test."
)
# What the page posts with the platform method chosen: the hidden SMTP fields stay empty.
PLATFORM_AS_POSTED = method_data(
    method="platform", smtp_host="", smtp_username="", smtp_from_address=""
)


def marked_fields(page: str) -> list[str]:
    """The names of the inputs inside the fields marked with an error."""
    blocks = re.findall(r'<div class="field has-error.*?</div>\s*</div>', page, re.S)
    return sorted({name for block in blocks for name in re.findall(r'name="(\w+)"', block)})


def test_platform_method_test_send_marks_the_method_with_the_reason(owner_client, company):
    response = owner_client.post(TEST, PLATFORM_AS_POSTED)

    page = response.content.decode()
    assert "correct the fields marked below" in page
    assert marked_fields(page) == ["method"]
    assert f'<div id="id_method_error"><p class="error">{PLATFORM_NOT_TESTABLE}</p>' in page
    assert "The test email could not be sent." not in page


def test_platform_method_test_send_tries_no_server_even_with_smtp_fields_filled(
    owner_client, company, plain_server
):
    response = owner_client.post(
        TEST,
        method_data(
            method="platform",
            smtp_host=plain_server.host,
            smtp_port=str(plain_server.port),
            smtp_security="none",
            smtp_password="x",
        ),
    )

    assert PLATFORM_NOT_TESTABLE in response.content.decode()
    assert plain_server.handler.messages == []


def test_platform_method_test_send_saves_nothing(owner_client, company):
    owner_client.post(TEST, method_data(method="platform", smtp_password="secret"))

    stored = email_settings_for(company)
    assert (stored.method, stored.smtp_host, stored.smtp_password) == ("platform", "", "")


def test_smtp_method_with_missing_server_marks_the_server_field(owner_client, company):
    response = owner_client.post(TEST, method_data(smtp_host=""))

    page = response.content.decode()
    assert marked_fields(page) == ["smtp_host"]
    assert "Give the SMTP server, for example smtp.yourprovider.be." in page


def test_member_cannot_send_a_test_email(client, teammate):
    client.force_login(teammate)

    assert client.post(TEST, PLATFORM_AS_POSTED).status_code == 403

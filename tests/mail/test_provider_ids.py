"""The one spelling of provider message ids, and what each email records of the way it went."""

import pytest

from porto.emailsettings.selectors import email_settings_for
from porto.mail.message_ids import message_id_normalise
from porto.mail.providers.base.provider import key_fingerprint
from porto.mail.sent_through import (
    sent_through_fields,
    sent_through_matches,
    way_of_source,
)
from tests.factories import make_email


@pytest.mark.parametrize(
    "given, stored",
    [
        (
            "<202612010945.12345678901@smtp-relay.mailin.fr>",
            "202612010945.12345678901@smtp-relay.mailin.fr",
        ),
        (
            " <20261201094512.1.5F2B@send.porto.example>\r\n",
            "20261201094512.1.5F2B@send.porto.example",
        ),
        ("<<nested@x.example>>", "<nested@x.example>"),  # one pair only
        ("<half@x.example", "<half@x.example"),  # not a pair: kept
        (
            "b7bc2f4a-E38E-4336-af7d-e6c392c2f817",
            "b7bc2f4a-E38E-4336-af7d-e6c392c2f817",
        ),  # case kept
        (1152921522289480000, "1152921522289480000"),  # Mailjet's numbers
        (37, "37"),  # Postal's numbers
        (None, ""),
    ],
)
def test_a_message_id_loses_whitespace_and_one_pair_of_brackets_only(given, stored):
    assert message_id_normalise(given) == stored


@pytest.mark.parametrize(
    "source, way",
    [
        ("postmark", "postmark"),
        ("postmark-api", "postmark"),
        ("amazon_ses", "amazon_ses"),
        ("sandbox", "sandbox"),
        ("imap", "smtp"),
        ("smtp", "smtp"),
        ("pixel", ""),
        ("provider", ""),
    ],
)
def test_each_event_source_speaks_for_one_way(source, way):
    assert way_of_source(source) == way


def test_own_smtp_records_server_and_login_never_the_password(invoice, company):
    email_settings = email_settings_for(company)
    email_settings.method = "smtp"
    email_settings.smtp_host = "smtp.acme.example"
    email_settings.smtp_port = 465
    email_settings.smtp_username = "facturen@acme.example"
    email_settings.smtp_password = "correct horse battery staple"
    email_settings.save()
    email = make_email(invoice, transport="smtp")
    assert sent_through_fields(email) == {
        "sent_through": "smtp",
        "sent_account": "facturen@acme.example at smtp.acme.example:465",
    }


def test_a_provider_records_its_api_host_and_a_key_fingerprint(settings, invoice):
    settings.PORTO_ANYMAIL_BACKEND = "anymail.backends.sendinblue.EmailBackend"  # Brevo's old name
    settings.ANYMAIL = {"BREVO_API_KEY": "xkeysib-0123456789abcdef"}
    email = make_email(invoice, transport="provider")
    fields = sent_through_fields(email)
    assert fields == {
        "sent_through": "brevo",
        "sent_account": f"api.brevo.com key {key_fingerprint('xkeysib-0123456789abcdef')}",
    }
    assert "0123456789abcdef" not in fields["sent_account"]


def test_amazon_ses_records_region_and_configuration_set(settings, invoice):
    settings.PORTO_ANYMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    settings.ANYMAIL = {
        "AMAZON_SES_CLIENT_PARAMS": {"region_name": "eu-west-1"},
        "AMAZON_SES_CONFIGURATION_SET_NAME": "porto-tracking",
    }
    email = make_email(invoice, transport="provider")
    assert sent_through_fields(email) == {
        "sent_through": "amazon_ses",
        "sent_account": "Amazon SES eu-west-1 configuration set porto-tracking",
    }


def test_an_email_from_before_the_way_was_recorded_matches_by_its_transport(invoice):
    provider_email = make_email(invoice, transport="provider")
    smtp_email = make_email(invoice, transport="smtp")
    assert sent_through_matches(provider_email, "mailgun")
    assert not sent_through_matches(provider_email, "smtp")
    assert sent_through_matches(smtp_email, "smtp")
    assert not sent_through_matches(smtp_email, "mailgun")

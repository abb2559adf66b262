"""The own server's emails per minute in Settings > Email settings: shown in the own-mailbox
section with what it does, saved by an owner, refused with one clear message when it is not
a number from 1 to 10,000, and an outsider's post changes only their own company."""

import pytest
from django.urls import reverse

from porto.emailsettings.selectors import email_settings_for
from tests.emailsettings.test_email_settings_views import method_data

pytestmark = pytest.mark.django_db

PAGE = reverse("email_settings")
METHOD = reverse("email_settings_method")
RANGE = "Give a whole number of emails a minute, from 1 to 10,000."


def test_the_field_is_in_the_own_mailbox_section_with_its_help(owner_client):
    page = owner_client.get(PAGE).content.decode()
    own_mailbox = page[page.index('id="smtp-fields"') : page.index("Mailbox for bounces")]
    assert 'name="smtp_per_minute"' in own_mailbox
    assert 'value="30"' in own_mailbox[own_mailbox.index('name="smtp_per_minute"') - 200 :]
    assert "Microsoft 365 allows about 30" in own_mailbox
    assert "they are never failed for it" in own_mailbox


def test_an_owner_sets_the_rate(owner_client, company):
    response = owner_client.post(METHOD, method_data(smtp_per_minute="120"))
    assert response.status_code == 302
    assert email_settings_for(company).smtp_per_minute == 120


def test_empty_means_the_default(owner_client, company):
    owner_client.post(METHOD, method_data(smtp_per_minute="120"))
    owner_client.post(METHOD, method_data(smtp_per_minute=""))
    assert email_settings_for(company).smtp_per_minute == 30


@pytest.mark.parametrize("value", ["0", "-5", "10001", "12.5", "thirty"])
def test_a_rate_out_of_range_is_refused_clearly_and_nothing_saved(owner_client, company, value):
    response = owner_client.post(METHOD, method_data(smtp_per_minute=value))
    assert response.status_code == 200
    page = response.content.decode()
    assert RANGE in page
    assert 'id="id_smtp_per_minute_error"' in page
    stored = email_settings_for(company)
    assert (stored.method, stored.smtp_per_minute) == ("platform", 30)


def test_a_member_cannot_change_it(client, teammate, company):
    client.force_login(teammate)
    assert client.post(METHOD, method_data(smtp_per_minute="5")).status_code == 403
    assert email_settings_for(company).smtp_per_minute == 30


def test_an_outsider_changes_only_their_own_company(outsider_client, company, other_company):
    outsider_client.post(METHOD, method_data(smtp_per_minute="7"))
    assert email_settings_for(other_company).smtp_per_minute == 7
    assert email_settings_for(company).smtp_per_minute == 30

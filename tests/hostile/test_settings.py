"""Settings > Email settings over every catalogue entry tried on it: a refusal is shown next to
its field and nothing is saved; a name that only looks odd is saved as typed, and an encoded
word typed into the sender name reaches the recipient as the literal text typed."""

from email.header import decode_header, make_header

import pytest
from django.urls import reverse

from porto.emailsettings.models import EmailSettings
from porto.emailsettings.selectors import email_settings_for
from porto.lib.headers import Mailbox, mailbox_value
from tests.emailsettings.test_email_settings_views import method_data, options_data, stored_row
from tests.hostile.catalogue import Accepted, Neutralised, Refused, cases

pytestmark = pytest.mark.django_db

OPTIONS = reverse("email_settings_options")
METHOD = reverse("email_settings_method")
# The form each field is on, and how to post it.
FORMS = {
    "sender_name": (OPTIONS, options_data, "options_form"),
    "reply_to": (OPTIONS, options_data, "options_form"),
    "smtp_from_address": (
        METHOD,
        lambda **typed: method_data(smtp_password="geheim", **typed),
        "method_form",
    ),
}


@pytest.mark.parametrize(("entry", "use"), cases("settings"))
def test_email_settings_refuse_next_to_the_field_or_save_as_typed(
    owner_client, company, entry, use
):
    url, data, form_name = FORMS[use.field]
    owner_client.post(OPTIONS, options_data())
    before = stored_row(company)
    response = owner_client.post(url, data(**{use.field: entry.built()}))
    if isinstance(use.outcome, Refused):
        assert response.status_code == 200
        errors = response.context[form_name].errors[use.field]
        assert any(use.outcome.fragment in message for message in errors), errors
        assert stored_row(company) == before
        return
    assert response.status_code == 302
    assert getattr(email_settings_for(company), use.field) == entry.built()
    if isinstance(use.outcome, Neutralised):
        assert use.outcome.check == "encoded as text"
        header = mailbox_value(Mailbox(entry.built(), "acme-bv@send.example"))
        shown = str(make_header(decode_header(header)))  # what the recipient's program shows
        assert shown == f"{entry.built()} <acme-bv@send.example>"
    else:
        assert isinstance(use.outcome, Accepted)


def test_an_outsider_cannot_post_a_hostile_sender_name_into_another_company(
    outsider_client, company
):
    before = stored_row(company)
    outsider_client.post(OPTIONS, options_data(sender_name="billing@kbc.example"))
    assert stored_row(company) == before
    assert EmailSettings.objects.filter(company=company).count() == 1

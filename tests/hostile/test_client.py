"""The client form over every catalogue entry tried on it: a refusal is shown next to its field
(or its address row) and nothing is saved; text that looks like code is saved as typed; markup
in a name is shown as text on the client's page, never as markup."""

import html
import re

import pytest
from django.urls import reverse

from porto.clients.models import Client, ClientEmail
from tests.factories import make_client
from tests.hostile.catalogue import Accepted, Neutralised, Refused, cases
from tests.web.test_clients import BUSINESS, create, payload, rows_of

pytestmark = pytest.mark.django_db


def errors_near(page: str, field_id: str) -> list[str]:
    """The messages next to the input ``field_id``; a message may quote a line break typed."""
    start = page.index(f'id="{field_id}"')
    end = min(i for i in (page.find("</div>", start), page.find("</tr>", start)) if i > 0)
    return re.findall(r'<p class="error">(.*?)</p>', page[start:end], flags=re.DOTALL)


def posted(http, field: str, value: str):
    if field == "address":
        return create(http, addresses=[{"address": value, "is_default": True}])
    return create(http, {field: value})


@pytest.mark.parametrize(("entry", "use"), cases("client"))
def test_the_client_form_refuses_next_to_the_field_or_saves_as_typed(
    owner_client, company, entry, use
):
    value = entry.built()
    response = posted(owner_client, use.field, value)
    if isinstance(use.outcome, Refused):
        assert response.status_code == 400
        field_id = "id_emails-0-address" if use.field == "address" else f"id_{use.field}"
        errors = [html.unescape(e) for e in errors_near(response.content.decode(), field_id)]
        assert any(use.outcome.fragment in message for message in errors), errors
        assert not Client.objects.exists()
        assert not ClientEmail.objects.exists()
        return
    assert response.status_code == 302, response.content.decode()[:2000]
    client = Client.objects.get()
    if use.field == "address":
        assert client.emails.get().address == value
    else:
        assert getattr(client, use.field) == value
    if isinstance(use.outcome, Neutralised):
        assert use.outcome.check == "escaped"
        page = owner_client.get(reverse("client", args=[client.pk])).content.decode()
        assert value not in page
        assert html.escape(value) in page
    else:
        assert isinstance(use.outcome, Accepted)


def test_an_edit_with_a_line_break_in_the_name_changes_nothing(owner_client, company):
    client = make_client(company, name="Bakkerij Peeters", emails=("a@peeters.example",))
    fields = BUSINESS | {"name": "Bakkerij\nPeeters"}
    response = owner_client.post(
        reverse("client_edit", args=[client.pk]), payload(fields, rows_of(client), initial=1)
    )
    assert response.status_code == 400
    client.refresh_from_db()
    assert client.name == "Bakkerij Peeters"


def test_an_outsider_cannot_edit_a_client_even_with_a_hostile_name(outsider_client, company):
    client = make_client(company, name="Bakkerij Peeters", emails=("a@peeters.example",))
    fields = BUSINESS | {"name": "Bakkerij\nPeeters"}
    url = reverse("client_edit", args=[client.pk])
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(url, payload(fields, rows_of(client), initial=1)).status_code == 404

"""The client page: its data, its documents (number, kind, date, amount in the UI language,
status) and every email sent to it with its status badge, newest first, paginated, in a fixed
number of queries; the New invoice / New quote links once the document editor exists."""

import datetime

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

from porto.documents.models import DocumentKind
from porto.mail.events import record_event
from porto.mail.status import Event, EventType
from porto.web.client_views import CLIENT_PAGE_SIZE
from tests.factories import make_client, make_document, make_email, make_finalized

pytestmark = pytest.mark.django_db


def fake_new_document(request):  # pragma: no cover - only reversed, never requested
    raise NotImplementedError


# A URL configuration with a stand-in for the document editor's URL (built elsewhere).
urlpatterns = [
    path("documents/new/", fake_new_document, name="document_new"),
    path("", include("porto.urls")),
]


@pytest.fixture
def anker(company):
    return make_client(company, name="Brouwerij Het Anker", emails=("boekhouding@anker.example",))


def client_page(http, client, headers=None, **params):
    return http.get(reverse("client", args=[client.pk]), params, headers=headers)


def test_the_page_lists_the_documents_with_number_kind_date_amount_and_status(
    owner_client, company, anker
):
    invoice = make_finalized(
        company, anker, lines=[("1", "5020.39", "S", "21")], issue_date=datetime.date(2026, 11, 3)
    )
    make_finalized(company, anker, kind=DocumentKind.QUOTE)
    make_document(company, anker)  # a draft
    page = client_page(owner_client, anker, headers={"accept-language": "nl"})
    text = page.content.decode()
    rows = [d.number or "(draft)" for d in page.context["documents"]]
    assert rows[0] == "(draft)"  # drafts on top, then the newest
    assert invoice.number in text and "Q-2026-00001" in text
    assert "6.074,67\xa0€" in text
    assert "3-11-2026" in text  # the short date of the UI language, as in the overview


def test_every_email_to_the_client_is_listed_with_its_badge_newest_first(
    owner_client, company, anker
):
    invoice = make_finalized(company, anker)
    quote = make_finalized(company, anker, kind=DocumentKind.QUOTE)
    now = timezone.now()
    older = make_email(
        invoice, to=("boekhouding@anker.example",), subject="Factuur oud", created_at=now
    )
    newer = make_email(
        quote,
        to=("weg@anker.invalid",),
        subject="Offerte nieuw",
        created_at=now + datetime.timedelta(minutes=5),
    )
    record_event(
        source="sandbox",
        event=Event(EventType.DELIVERED, now),
        message_id=older.message_id,
        recipient="boekhouding@anker.example",
    )
    record_event(
        source="sandbox",
        event=Event(EventType.BOUNCED, now, reason="Mailbox unknown", code="550 5.1.1"),
        message_id=newer.message_id,
        recipient="weg@anker.invalid",
    )
    make_email(make_finalized(company), subject="Voor een andere klant")
    text = client_page(owner_client, anker).content.decode()
    assert text.index("Offerte nieuw") < text.index("Factuur oud")
    assert "Voor een andere klant" not in text
    assert 'class="badge badge-delivered"' in text
    assert "badge badge-failed" in text
    assert "weg@anker.invalid" in text and "Mailbox unknown" in text


def test_emails_are_paginated_keeping_the_documents_page(owner_client, company, anker):
    invoice = make_finalized(company, anker)
    start = timezone.now()
    for n in range(CLIENT_PAGE_SIZE + 2):
        make_email(
            invoice, subject=f"Mail {n:02d}", created_at=start + datetime.timedelta(minutes=n)
        )
    first = client_page(owner_client, anker)
    assert len(first.context["email_rows"]) == CLIENT_PAGE_SIZE
    assert "?emails_page=2" in first.content.decode()
    second = client_page(owner_client, anker, emails_page="2", documents_page="1")
    assert [r.email.subject for r in second.context["email_rows"]] == ["Mail 01", "Mail 00"]
    assert "documents_page=1&amp;emails_page=1" in second.content.decode()


def queries_for_page(http, client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client_page(http, client).status_code == 200
    return len(captured)


def test_the_page_takes_as_many_queries_for_12_emails_as_for_3(owner_client, company):
    few, many = make_client(company), make_client(company)
    for client, count in ((few, 3), (many, 12)):
        for _ in range(count):
            make_email(make_finalized(company, client), to=("a@x.example", "b@x.example"))
    owner_client.get(reverse("clients"))  # the session's first request chooses the company
    assert queries_for_page(owner_client, few) == queries_for_page(owner_client, many)


def test_new_invoice_and_quote_links_carry_the_kind_and_the_client(owner_client, settings, anker):
    settings.ROOT_URLCONF = __name__
    text = client_page(owner_client, anker).content.decode()
    assert f'href="/documents/new/?kind=invoice&amp;client={anker.pk}"' in text
    assert f'href="/documents/new/?kind=quote&amp;client={anker.pk}"' in text


def test_an_archived_client_offers_no_new_document_but_unarchive(
    owner_client, settings, company, anker
):
    settings.ROOT_URLCONF = __name__
    anker.archived_at = timezone.now()
    anker.save()
    text = client_page(owner_client, anker).content.decode()
    assert "kind=invoice" not in text
    assert reverse("client_unarchive", args=[anker.pk]) in text
    assert reverse("client_archive", args=[anker.pk]) not in text


def test_optional_url_is_empty_for_a_url_that_does_not_exist():
    template = Template(
        "{% load optional_urls %}[{% optional_url 'no_such_page' %}][{% optional_url 'client' 7 %}]"
    )
    assert template.render(Context()) == "[][/clients/7/]"

"""The overview at month-end: sort by any column, send every document that matches a filter
(across pages, within the company), the banner after a bulk send, search without accents and
amounts in the reader's language."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from porto.documents.models import Document, DocumentKind
from porto.lib.formatting import NNBSP, format_count
from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.status import EventType
from porto.web.banners import bulk_send_banner as sending_banner
from porto.web.selectors import SORTS, OverviewFilters, document_overview, latest_badges
from porto.web.views import PAGE_SIZE
from tests.factories import make_client, make_document, make_finalized, make_user
from tests.mail.status_helpers import email_queued, hand_off, record
from tests.web.test_send import form_data

pytestmark = pytest.mark.django_db

ROW = re.compile(r'name="documents" value="(\d+)"')


def listed(html: str) -> list[int]:
    """The documents of an overview page, top to bottom."""
    return [int(pk) for pk in ROW.findall(html)]


def overview(http, **params):
    return http.get(reverse("documents"), params)


def emailed(document: Document, days_ago: int, *events: EventType) -> OutgoingEmail:
    """An email of ``document`` queued ``days_ago`` days ago, handed off and accepted then,
    followed by ``events``, through the outbox's write paths."""
    at = timezone.now() - datetime.timedelta(days=days_ago)
    email = hand_off(email_queued(document, created_at=at), at)
    record(email, "r0@klant.example", EventType.SENT, at)
    for event in events:
        record(email, "r0@klant.example", event, at)
    return email


@pytest.fixture
def four(company):
    """Four documents that differ in every column, made in the order a, b, c, d (so by pk)."""
    a = make_finalized(
        company,
        make_client(company, name="Zeeman NV"),
        issue_date=datetime.date(2026, 1, 10),
        lines=[("1", "100", "S", "21")],  # 121.00
    )
    b = make_finalized(
        company,
        make_client(company, name="Ávila SA"),
        kind=DocumentKind.QUOTE,
        issue_date=datetime.date(2026, 3, 1),
        lines=[("10", "500", "S", "21")],  # 6,050.00
    )
    c = make_finalized(
        company,
        make_client(company, name="Brouwer BV"),
        kind=DocumentKind.OTHER,
        title="Delivery note",
        issue_date=datetime.date(2026, 2, 1),
        lines=[("1", "1000", "S", "21")],  # 1,210.00
    )
    d = make_document(
        company, make_client(company, name="Café Noir"), lines=[("1", "50", "S", "21")]
    )  # a draft: no number, no issue date, 60.50
    emailed(b, 1, EventType.DELIVERED)
    emailed(c, 3, EventType.BOUNCED)
    # Delivery marks a document sent when a transport accepts it; b was, c never was.
    Document.objects.filter(pk=b.pk).update(sent_at=timezone.now())
    return {"a": a, "b": b, "c": c, "d": d}


# Ascending order of each column; the reversed sort is checked against its own expectation,
# because rows without a value (no email) stay last and drafts count as the newest date.
SORTED = {
    "number": ("dacb", "bcad"),  # "" < 2026-00001 < D-2026-00001 < Q-2026-00001
    "kind": ("adbc", "cbda"),  # invoice, invoice, quote, other; ties by pk
    "client": ("bcda", "adcb"),  # Ávila, Brouwer, Café, Zeeman: accents ignored
    "date": ("acbd", "dbca"),  # the draft has no date: newest
    "amount": ("dacb", "bcad"),  # 60.50, 121.00, 1,210.00, 6,050.00
    "status": ("dacb", "bcad"),  # draft, finalized, finalized, sent
    "email": ("bcad", "cbda"),  # delivered, failed, then no email (last both ways)
    "email_date": ("cbad", "bcda"),  # 3 days ago, 1 day ago, then no email
}


def test_every_sort_key_of_the_selector_has_an_expected_order():
    assert set(SORTED) == set(SORTS)


@pytest.mark.parametrize("key", sorted(SORTED))
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_sorting_by_a_column_orders_the_rows_by_it(owner_client, four, key, descending):
    expected = SORTED[key][descending]
    sort = f"-{key}" if descending else key
    html = overview(owner_client, sort=sort).content.decode()
    assert listed(html) == [four[name].pk for name in expected]


@pytest.mark.parametrize("sort", ["bogus", "--amount", "-", "amount;drop", "pk", "client__name"])
def test_an_unknown_sort_is_ignored_and_the_default_order_kept(owner_client, four, sort):
    response = overview(owner_client, sort=sort)
    assert response.status_code == 200
    assert listed(response.content.decode()) == listed(overview(owner_client).content.decode())


def test_a_column_header_sorts_by_it_and_a_second_click_reverses(owner_client, four):
    first = overview(owner_client, q="a").content.decode()
    assert 'href="/documents/?q=a&amp;sort=amount"' in first
    sorted_page = overview(owner_client, q="a", sort="amount").content.decode()
    assert 'aria-sort="ascending"><a class="sort" href="/documents/?q=a&amp;sort=-amount"' in (
        sorted_page
    )
    reversed_page = overview(owner_client, q="a", sort="-amount").content.decode()
    assert 'aria-sort="descending"><a class="sort" href="/documents/?q=a&amp;sort=amount"' in (
        reversed_page
    )


def test_the_filter_form_and_the_pages_keep_the_sort(owner_client, company):
    client = make_client(company, name="Brouwerij Het Anker")
    for _ in range(PAGE_SIZE + 1):
        make_document(company, client)
    html = overview(owner_client, sort="-amount", q="anker").content.decode()
    assert '<input type="hidden" name="sort" value="-amount">' in html
    [next_page] = re.findall(r'<a href="\?([^"]*)">Next</a>', html)
    assert sorted(next_page.split("&amp;")) == ["page=2", "q=anker", "sort=-amount"]


def test_the_pages_of_a_sorted_overview_neither_repeat_nor_skip_a_row(owner_client, company):
    """Every draft has the same amount: only the tie-breaker decides the order."""
    client = make_client(company, name="Brouwerij Het Anker")
    drafts = {make_document(company, client).pk for _ in range(PAGE_SIZE + 5)}
    for sort in ("amount", "-amount", "status", "-email"):
        first = listed(overview(owner_client, sort=sort).content.decode())
        second = listed(overview(owner_client, sort=sort, page=2).content.decode())
        assert len(first) == PAGE_SIZE and len(second) == 5
        assert set(first) | set(second) == drafts, sort


def test_an_outsider_sorting_the_overview_sees_none_of_the_companys_documents(
    outsider_client, four
):
    for sort in ("amount", "-client", "email"):
        html = overview(outsider_client, sort=sort).content.decode()
        assert listed(html) == [], sort


@pytest.mark.parametrize("count", [10, 50])
@pytest.mark.parametrize("sort", [*SORTS, *(f"-{key}" for key in SORTS)])
def test_a_sorted_page_of_the_overview_is_still_two_queries(
    company, django_assert_num_queries, count, sort
):
    client = make_client(company, name="Brouwerij Het Anker")
    for number in range(count):
        document = make_document(company, client)
        if number % 2:
            emailed(document, number)
    now = timezone.now()
    with django_assert_num_queries(2):  # the documents (with their status), the failures
        rows = list(document_overview(company, OverviewFilters(sort=sort), now)[:50])
        latest_badges(rows, now)
    assert len(rows) == count


# Search without accents or case


def test_search_finds_a_client_without_its_accents(owner_client, company):
    societe = make_finalized(company, make_client(company, name="Société Générale SA"))
    other = make_finalized(company, make_client(company, name="Bakkerij Peeters"))
    for query in ("societe", "SOCIÉTÉ", "generale sa", "  Societe   Générale "):
        html = overview(owner_client, q=query).content.decode()
        assert listed(html) == [societe.pk], query
    assert listed(overview(owner_client, q="peeters").content.decode()) == [other.pk]


def test_search_finds_a_number_and_a_buyer_reference(owner_client, company):
    client = make_client(company, name="Bakkerij Peeters")
    first = make_finalized(company, client, buyer_reference="PO-4711")
    second = make_finalized(company, client)
    assert listed(overview(owner_client, q="po-4711").content.decode()) == [first.pk]
    assert listed(overview(owner_client, q=second.number).content.decode()) == [second.pk]


def test_search_never_lists_another_companys_documents(owner_client, company, other_company):
    mine = make_finalized(company, make_client(company, name="Société Générale SA"))
    make_finalized(other_company, make_client(other_company, name="Société Générale SA"))
    assert listed(overview(owner_client, q="societe").content.decode()) == [mine.pk]


# Amounts in the reader's language


@pytest.fixture
def big_invoice(company):
    client = make_client(company, name="Brouwerij Het Anker", emails=("boek@anker.example",))
    return make_finalized(company, client, lines=[("1", "5020.39", "S", "21")])  # 6,074.67


@pytest.mark.parametrize(
    ("language", "shown"),
    [("nl", "6.074,67\xa0€"), ("fr", f"6{NNBSP}074,67\xa0€"), ("en", "€6,074.67")],
)
def test_the_overview_shows_amounts_in_the_ui_language(owner_client, big_invoice, language, shown):
    page = owner_client.get(reverse("documents"), headers={"accept-language": language})
    html = page.content.decode()
    assert shown in html
    assert "6074.67" not in html


@pytest.mark.parametrize(
    ("language", "shown"),
    [("nl", "6.074,67\xa0€"), ("fr", f"6{NNBSP}074,67\xa0€"), ("en", "€6,074.67")],
)
def test_the_bulk_summary_shows_amounts_in_the_ui_language(
    owner_client, big_invoice, language, shown
):
    page = owner_client.post(
        reverse("bulk_summary"),
        {"documents": [big_invoice.pk]},
        headers={"accept-language": language},
    )
    html = page.content.decode()
    assert shown in html
    assert "6074.67" not in html


# Send every document that matches the filter


def invoices(company, client, count: int, first_number: int = 1) -> list[Document]:
    """``count`` finalized invoices of ``client`` written in one INSERT."""
    return Document.objects.bulk_create(
        Document(
            company=company,
            client=client,
            kind=DocumentKind.INVOICE,
            status=Document.Status.FINALIZED,
            number=f"2026-{n:05d}",
            sequence=n,
            issue_date=datetime.date(2026, 11, 30),
            client_snapshot={"name": client.name},
        )
        for n in range(first_number, first_number + count)
    )


@pytest.fixture
def month_end(company, other_company):
    """60 invoices of Société Générale (more than a page), 5 of another client, 3 drafts of
    Société Générale (not sendable), and another company's invoices to a client of the
    same name."""
    societe = make_client(company, name="Société Générale SA", emails=("compta@sg.example",))
    peeters = make_client(company, name="Bakkerij Peeters", emails=("boek@peeters.example",))
    matching = invoices(company, societe, 60)
    invoices(company, peeters, 5, first_number=61)
    drafts = [make_document(company, societe) for _ in range(3)]
    theirs = make_client(other_company, name="Société Générale SA", emails=("x@sg.example",))
    invoices(other_company, theirs, 4)
    return {"matching": matching, "drafts": drafts}


def test_the_overview_offers_to_select_every_document_that_matches(owner_client, month_end):
    html = overview(owner_client, q="societe").content.decode()
    assert len(listed(html)) == PAGE_SIZE
    assert "Select all 63 documents that match this filter" in html
    assert '<input type="hidden" name="q" value="societe">' in html


def test_a_single_page_offers_no_select_all_that_match(owner_client, month_end):
    html = overview(owner_client, q="peeters").content.decode()
    assert "that match this filter" not in html


def test_the_summary_of_all_that_match_counts_them_and_names_the_skipped(owner_client, month_end):
    response = owner_client.post(reverse("bulk_summary"), {"scope": "filter", "q": "societe"})
    html = response.content.decode()
    assert "You chose all 63 documents that match the filter." in html
    assert "60 documents will be sent, each in its own email." in html
    assert "3 will be skipped" in html
    assert html.count("still a draft") == 3
    # The summary asks again for the filter, not for the ids of a page.
    assert '<input type="hidden" name="scope" value="filter">' in html
    assert '<input type="hidden" name="q" value="societe">' in html
    assert 'name="documents"' not in html
    assert not BulkJob.objects.exists() and not OutgoingEmail.objects.exists()


def test_sending_all_that_match_sends_exactly_this_companys_matching_documents(
    owner_client, company, month_end
):
    response = owner_client.post(
        reverse("bulk_start"), {"scope": "filter", "q": "societe", "sort": "-amount"}
    )
    job = BulkJob.objects.get()
    assert job.company == company
    sent = set(job.emails.values_list("document_id", flat=True))
    assert sent == {d.pk for d in month_end["matching"]}
    assert {s["document"] for s in job.skipped} == {d.pk for d in month_end["drafts"]}
    assert OutgoingEmail.objects.count() == 60
    assert response["Location"] == "/documents/?q=societe&sort=-amount"


def test_the_ticked_documents_are_sent_when_no_filter_scope_is_asked(owner_client, month_end):
    ticked = month_end["matching"][:2]
    owner_client.post(reverse("bulk_start"), {"documents": [d.pk for d in ticked], "q": "x"})
    sent = set(BulkJob.objects.get().emails.values_list("document_id", flat=True))
    assert sent == {d.pk for d in ticked}


def test_all_that_match_for_an_outsider_is_only_their_own_companys(
    outsider_client, month_end, other_company
):
    summary = outsider_client.post(reverse("bulk_summary"), {"scope": "filter", "q": "societe"})
    assert "You chose all 4 documents that match the filter." in summary.content.decode()
    outsider_client.post(reverse("bulk_start"), {"scope": "filter", "q": "societe"})
    job = BulkJob.objects.get()
    documents = Document.objects.filter(pk__in=job.emails.values("document_id"))
    assert job.company == other_company
    assert documents.count() == 4
    assert set(documents.values_list("company", flat=True)) == {other_company.pk}


def test_all_that_match_a_filter_matching_nothing_says_so(owner_client, month_end):
    response = owner_client.post(
        reverse("bulk_summary"), {"scope": "filter", "q": "nobody"}, follow=True
    )
    assert response.redirect_chain[0][0] == "/documents/?q=nobody"
    assert "Select at least one document to send." in response.content.decode()
    assert not BulkJob.objects.exists()


# The banner


def test_a_bulk_send_is_confirmed_once_on_the_overview_with_a_link_to_its_progress(
    owner_client, month_end
):
    response = owner_client.post(
        reverse("bulk_start"), {"scope": "filter", "q": "societe"}, follow=True
    )
    job = BulkJob.objects.get()
    html = response.content.decode()
    assert response.redirect_chain == [("/documents/?q=societe", 302)]
    link = f'<a href="{reverse("bulk_job", args=[job.pk])}">see progress</a>'
    assert f'<li class="success">Sending 60 documents — {link}</li>' in html
    assert "Sending 60 documents" not in overview(owner_client).content.decode()


def test_the_banner_counts_with_the_languages_thousands_separator(company):
    owner = make_user(company, role="owner", username="boss")
    job = BulkJob.objects.create(company=company, created_by=owner, requested=1234)
    with translation.override("en"):
        assert str(sending_banner(job, 1234)).startswith("Sending 1,234 documents — <a href=")
        assert str(sending_banner(job, 1)).startswith("Sending 1 document — ")


def test_the_banner_escapes_what_it_is_built_from(company, monkeypatch):
    job = BulkJob.objects.create(company=company, requested=1)
    monkeypatch.setattr("porto.web.banners.ngettext", lambda s, p, n: "<b>%(count)s</b> %(link)s")
    assert str(sending_banner(job, 2)).startswith("&lt;b&gt;2&lt;/b&gt; <a href=")


# A single send started from the overview


def test_the_overviews_send_action_remembers_the_page_it_came_from(owner_client, invoice):
    html = overview(owner_client, q="elysee", sort="-amount").content.decode()
    back = "/documents/%3Fq%3Delysee%26sort%3D-amount"
    assert f'href="/documents/{invoice.pk}/?send=1&amp;back={back}"' in html
    page = owner_client.get(
        reverse("document", args=[invoice.pk]), {"send": "1", "back": "/documents/?q=elysee"}
    )
    assert '<input type="hidden" name="back" value="/documents/?q=elysee">' in page.content.decode()


def test_a_single_send_from_the_overview_returns_there_with_a_banner_once(owner_client, invoice):
    data = form_data(back="/documents/?q=elysee")
    response = owner_client.post(reverse("document_send", args=[invoice.pk]), data, follow=True)
    assert response.redirect_chain == [("/documents/?q=elysee", 302)]
    link = f'<a href="/documents/{invoice.pk}/">see progress</a>'
    banner = f'<li class="success">Sending Invoice {invoice.number} — {link}</li>'
    assert banner in response.content.decode()
    assert banner not in overview(owner_client).content.decode()
    assert OutgoingEmail.objects.filter(document=invoice).count() == 1


def test_a_single_send_from_the_overview_with_script_is_sent_back_there(owner_client, invoice):
    data = form_data(back="/documents/?q=elysee")
    response = owner_client.post(
        reverse("document_send", args=[invoice.pk]), data, headers={"accept": "application/json"}
    )
    assert response.json() == {"ok": True, "redirect": "/documents/?q=elysee"}
    assert f"Sending Invoice {invoice.number}" in overview(owner_client).content.decode()


@pytest.mark.parametrize(
    "back",
    [
        "https://evil.example/documents/",
        "//evil.example/",
        "/documents/1/",
        "/admin/",
        "/documents/?\r\nX: y",
    ],
)
def test_a_send_never_follows_a_back_address_outside_the_overview(owner_client, invoice, back):
    data = form_data(back=back)
    response = owner_client.post(reverse("document_send", args=[invoice.pk]), data)
    assert response["Location"] == f"/documents/{invoice.pk}/"


def test_a_refused_single_send_keeps_the_way_back(owner_client, invoice):
    data = form_data(back="/documents/?q=elysee", to=["broken@"])
    response = owner_client.post(reverse("document_send", args=[invoice.pk]), data)
    assert response.status_code == 400
    assert '<input type="hidden" name="back" value="/documents/?q=elysee">' in (
        response.content.decode()
    )
    assert not OutgoingEmail.objects.exists()


def test_an_outsider_cannot_send_a_document_back_to_the_overview(outsider_client, invoice):
    data = form_data(back="/documents/")
    response = outsider_client.post(reverse("document_send", args=[invoice.pk]), data)
    assert response.status_code == 404
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize(
    ("language", "shown"),
    [("nl", "1.234.567"), ("fr", f"1{NNBSP}234{NNBSP}567"), ("en", "1,234,567")],
)
def test_counts_are_grouped_as_the_amounts_are(language, shown):
    assert format_count(1234567, language) == shown
    assert format_count(999, language) == "999"

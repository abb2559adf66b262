"""The overview: filters, the latest email's badge in a fixed number of queries, and the bulk
send pages (summary, progress, results)."""

import datetime

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import EventType, Status
from porto.web.selectors import OverviewFilters, document_overview, latest_badges
from tests.factories import make_client, make_document, make_finalized, make_finalized_in_bulk
from tests.mail.status_helpers import email_queued, hand_off, record
from tests.web.conftest import prestore_pdf

pytestmark = pytest.mark.django_db


def sent(document, *events, to="compta@cafe-elysee.example", at=None, through="", **fields):
    """``document`` sent to ``to``: queued by the send service, handed off (through
    ``through``) and answered at ``at`` through the outbox's write paths, then ``events``
    ((type, {fields}) pairs)."""
    email = email_send(SendRequest(document=document, to=[to]))
    at = at or timezone.now()
    if fields:
        OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=at, **fields)
    else:
        OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=at)
    email = hand_off(email, at, through=through)
    record(email, to, EventType.SENT, at)
    for type, extra in events:
        record(email, to, type, at, **extra)
    return email


def overview(http, **params):
    return http.get(reverse("documents"), params)


def test_the_query_count_does_not_grow_with_the_rows(owner_client, company, client_fr):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert overview(owner_client).status_code == 200
        return len(queries)

    first = make_finalized(company, client_fr)
    prestore_pdf(first)
    sent(first)
    count_queries()  # the first request of a session also writes the session
    few = count_queries()
    for _ in range(8):
        document = make_finalized(company, client_fr)
        prestore_pdf(document)
        sent(document)
    assert count_queries() == few


@pytest.fixture
def four(company, client_fr):
    """One document per email status, plus a draft."""
    documents = {}
    for name in ("read", "failed", "delivered", "in_transit"):
        documents[name] = make_finalized(company, client_fr)
        prestore_pdf(documents[name])
    sent(documents["read"], (EventType.DELIVERED, {}), (EventType.OPENED, {}), track_opens=True)
    bounce = {"reason": "The mailbox does not exist (550)", "code": "550 5.1.1"}
    sent(documents["failed"], (EventType.BOUNCED, bounce))
    sent(documents["delivered"], (EventType.DELIVERED, {}))
    sent(documents["in_transit"])
    documents["draft"] = make_document(company, client_fr)
    return documents


@pytest.mark.parametrize("status", ["read", "failed", "delivered", "in_transit"])
def test_the_email_status_filter_agrees_with_the_badge(owner_client, four, status):
    html = overview(owner_client, status=status).content.decode()
    for name, document in four.items():
        assert (f'href="/documents/{document.pk}/"' in html) == (name == status), name
    assert f"badge-{status}" in html


@pytest.mark.parametrize(("status", "listed"), [("read", False), ("delivered", True)])
def test_an_open_of_an_email_sent_with_tracking_off_filters_as_delivered_not_read(
    owner_client, company, client_fr, status, listed
):
    document = make_finalized(company, client_fr)
    prestore_pdf(document)
    sent(document, (EventType.DELIVERED, {}), (EventType.OPENED, {}), track_opens=False)
    html = overview(owner_client, status=status).content.decode()
    assert (f'href="/documents/{document.pk}/"' in html) == listed


def test_unknown_is_an_email_without_news_for_too_long(owner_client, four, company, client_fr):
    silent = make_finalized(company, client_fr)
    prestore_pdf(silent)
    sent(silent, at=timezone.now() - datetime.timedelta(days=40))
    html = overview(owner_client, status="unknown").content.decode()
    assert f'href="/documents/{silent.pk}/"' in html
    assert f'href="/documents/{four["in_transit"].pk}/"' not in html
    assert f'href="/documents/{four["read"].pk}/"' not in html
    assert "badge-unknown" in html


def test_an_email_past_its_providers_window_is_listed_under_unknown_not_in_transit(
    owner_client, company, client_fr
):
    """The reported defect: SparkPost keeps events 10 days (a 9-day window), so after 12
    days without news the badge says Unknown; the filter once used the 25-day refresh window
    for every provider and listed it under In transit."""
    document = make_finalized(company, client_fr)
    prestore_pdf(document)
    twelve_days_ago = timezone.now() - datetime.timedelta(days=12)
    sent(document, at=twelve_days_ago, through="sparkpost", transport="provider")
    in_transit = overview(owner_client, status="in_transit").content.decode()
    unknown = overview(owner_client, status="unknown").content.decode()
    assert f'href="/documents/{document.pk}/"' not in in_transit
    assert f'href="/documents/{document.pk}/"' in unknown
    assert '<span class="badge badge-unknown">Unknown</span>' in unknown


@pytest.mark.parametrize("count", [10, 50])
@pytest.mark.parametrize("status", ["", "in_transit", "unknown", "delivered"])
def test_a_page_of_the_overview_is_two_queries_whatever_its_rows(
    company, django_assert_num_queries, count, status
):
    now = timezone.now()
    for number, document in enumerate(make_finalized_in_bulk(company, count)):
        at = now - datetime.timedelta(days=40 if number % 2 else 1)
        email = hand_off(email_queued(document, created_at=at), at)
        record(email, "r0@klant.example", EventType.SENT, at)
        if number % 3 == 0:
            record(email, "r0@klant.example", EventType.DELIVERED, at)
    with django_assert_num_queries(2):  # the documents (with their status), the failures
        rows = list(document_overview(company, OverviewFilters(status=status), now)[:50])
        badges = latest_badges(rows, now)
    assert rows and len(badges) == len(rows)
    if status:
        assert {row.badge.status for row in badges.values()} == {Status(status)}


def test_the_failed_badge_shows_its_reason_on_keyboard_focus(owner_client, four):
    html = overview(owner_client).content.decode()
    email = four["failed"].emails.get()
    tip = f"email-{email.pk}-badge-tip"
    assert f'<button type="button" class="badge badge-failed" aria-describedby="{tip}">' in html
    assert f'<span role="tooltip" id="{tip}" class="badge-tip__body">' in html
    assert "The mailbox does not exist (550)</span>" in html
    assert "title=" not in html.split(tip)[0].rsplit("<button", 1)[1]


def test_a_badge_without_reasons_is_no_stop_for_the_keyboard(owner_client, four):
    html = overview(owner_client).content.decode()
    assert '<span class="badge badge-delivered">Delivered</span>' in html
    assert 'class="badge badge-delivered" tabindex' not in html


def test_filters_by_client_period_and_search(owner_client, company, client_fr):
    other = make_client(company, name="Bakkerij Peeters")
    mine = make_finalized(company, client_fr, issue_date=datetime.date(2026, 3, 1))
    theirs = make_finalized(company, other, issue_date=datetime.date(2026, 5, 1))
    by_client = overview(owner_client, client=other.pk).content.decode()
    assert theirs.number in by_client and mine.number not in by_client
    period = overview(owner_client, **{"from": "2026-02-01", "to": "2026-03-31"}).content.decode()
    assert mine.number in period and theirs.number not in period
    search = overview(owner_client, q="peeters").content.decode()
    assert theirs.number in search and mine.number not in search
    nonsense = overview(owner_client, **{"from": "not-a-date", "client": "x"})
    assert nonsense.status_code == 200


def test_the_bulk_summary_names_who_gets_what_and_what_is_skipped(owner_client, four):
    ids = [d.pk for d in four.values()]
    response = owner_client.post(reverse("bulk_summary"), {"documents": ids})
    html = response.content.decode()
    assert response.status_code == 200
    assert "4 documents will be sent" in html
    assert "compta@cafe-elysee.example" in html
    assert "still a draft" in html
    # Planning wrote nothing.
    assert not BulkJob.objects.exists()
    assert OutgoingEmail.objects.count() == 4


def test_bulk_send_queues_and_reports_progress(owner_client, four):
    ids = [d.pk for d in four.values()]
    response = owner_client.post(reverse("bulk_start"), {"documents": ids})
    job = BulkJob.objects.get()
    assert response["Location"] == reverse("documents")
    progress = owner_client.get(reverse("bulk_job_progress", args=[job.pk])).json()
    assert progress["counts"] == {"queued": 4, "sent": 0, "failed": 0, "skipped": 1, "requested": 5}
    assert progress["done"] is False
    assert owner_client.get(reverse("bulk_job", args=[job.pk])).status_code == 200


def test_bulk_pages_are_404_for_an_outsider(owner_client, four, outsider):
    owner_client.post(reverse("bulk_start"), {"documents": [four["read"].pk]})
    job = BulkJob.objects.get()
    stranger = HttpClient()
    stranger.force_login(outsider)
    assert stranger.get(reverse("bulk_job", args=[job.pk])).status_code == 404
    assert stranger.get(reverse("bulk_job_progress", args=[job.pk])).status_code == 404
    # Their documents are skipped as "does not exist" for someone else's company.
    stranger.post(reverse("bulk_start"), {"documents": [four["delivered"].pk]})
    theirs = BulkJob.objects.exclude(pk=job.pk).get()
    assert theirs.emails.count() == 0
    assert theirs.skipped[0]["reason"] == {"code": "document_missing", "params": {}}


def test_bulk_without_selection_says_so(owner_client, company):
    response = owner_client.post(reverse("bulk_summary"), {}, follow=True)
    assert "Select at least one document to send." in response.content.decode()


def test_bulk_posts_need_csrf(owner, four):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(owner)
    assert http.post(reverse("bulk_start"), {"documents": [four["read"].pk]}).status_code == 403
    assert http.post(reverse("bulk_summary"), {"documents": [four["read"].pk]}).status_code == 403
    assert not BulkJob.objects.exists()

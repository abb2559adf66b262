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
from tests.factories import make_client, make_document, make_finalized
from tests.web.conftest import prestore_pdf

pytestmark = pytest.mark.django_db


def sent(document, to="compta@cafe-elysee.example", **facts) -> OutgoingEmail:
    email = email_send(SendRequest(document=document, to=[to]))
    now = timezone.now()
    OutgoingEmail.objects.filter(pk=email.pk).update(handed_off_at=now, state="sent")
    email.recipients.update(accepted_at=now, **facts)
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
    now = timezone.now()
    read = sent(documents["read"], delivered_at=now, human_open_at=now)
    OutgoingEmail.objects.filter(pk=read.pk).update(track_opens=True)
    sent(documents["failed"], failed_at=now, failure_reason="The mailbox does not exist (550)")
    sent(documents["delivered"], delivered_at=now)
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
    owner_client, four, status, listed
):
    OutgoingEmail.objects.filter(document=four["read"]).update(track_opens=False)
    html = overview(owner_client, status=status).content.decode()
    assert (f'href="/documents/{four["read"].pk}/"' in html) == listed


def test_unknown_is_an_email_without_news_for_too_long(owner_client, four):
    old = timezone.now() - datetime.timedelta(days=40)
    email = four["in_transit"].emails.get()
    OutgoingEmail.objects.filter(pk=email.pk).update(handed_off_at=old)
    email.recipients.update(accepted_at=old)
    html = overview(owner_client, status="unknown").content.decode()
    assert f'href="/documents/{four["in_transit"].pk}/"' in html
    assert f'href="/documents/{four["read"].pk}/"' not in html
    assert "badge-unknown" in html


def test_the_failed_badge_carries_its_reason(owner_client, four):
    html = overview(owner_client).content.decode()
    assert 'title="The mailbox does not exist (550)"' in html


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
    assert response["Location"] == reverse("bulk_job", args=[job.pk])
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

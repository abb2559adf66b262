"""The bulk page explains every email not finished (one selector for the page and its progress
JSON), and Retry now: on the bulk page, on a document's timeline and company-wide from the
overview; company-scoped, CSRF-protected, never for emails held at the gate."""

import datetime

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.reasons import reason_stored
from porto.mail.tasks import deliver_emails
from porto.web.selectors import bulk_outbox, company_retry_notice
from tests.factories import make_email, make_finalized

State = OutgoingEmail.State
Held = OutgoingEmail.Held
UTC = datetime.UTC
# 10:00 UTC is 11:00 in Brussels (the app's time zone, where the page shows its times).
NOW = datetime.datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime.datetime:
    return NOW + datetime.timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def production_timings(settings):
    """The default lease timings, spelled out: a lease of 750 s (the 600 s wait for the
    final reply plus 7 commands of 20 s, plus 10 s), renewed before each hand-off once no more
    than 740 s are left; a sweep every 15 s."""
    settings.PORTO_MAIL_LEASE = 300
    settings.PORTO_MAIL_SMTP_TIMEOUT = 20
    settings.PORTO_MAIL_SMTP_DATA_TIMEOUT = 600
    settings.PORTO_MAIL_SWEEP_INTERVAL = 15


def queued(document, job, **fields) -> OutgoingEmail:
    values = {"state": State.QUEUED, "handed_off_at": None, "finished_at": None}
    return make_email(document, bulk_job=job, **(values | fields))


@pytest.fixture
def job(company):
    return BulkJob.objects.create(company=company, requested=12)


@pytest.fixture
def every_kind(company, client_fr, job):
    """A bulk send with an email in every state the outbox knows, at NOW."""
    document = make_finalized(company, client_fr)
    try_later = reason_stored("try_later", server="451 4.7.1 Greylisted, try again later")
    emails = {
        "sent": make_email(document, bulk_job=job),
        "failed": make_email(document, bulk_job=job, state=State.FAILED),
        # Claimed 5 s ago: 745 s of its 750 s lease left.
        "sending": queued(document, job, state=State.SENDING, attempts=1, lease_until=at(745)),
        # Silent for 150 s, its lease not renewed: 600 s left.
        "stalled": queued(document, job, state=State.SENDING, attempts=1, lease_until=at(600)),
        "expired": queued(document, job, state=State.SENDING, attempts=1, lease_until=at(-30)),
        "retry_soon": queued(
            document, job, attempts=1, next_attempt_at=at(300), last_error=try_later
        ),
        "retry_later": queued(document, job, attempts=3, next_attempt_at=at(900)),
        "rate_1": queued(document, job, held=Held.RATE, next_attempt_at=at(120)),
        "rate_2": queued(document, job, held=Held.RATE, next_attempt_at=at(1800)),
        "paused": queued(document, job, held=Held.PAUSED, next_attempt_at=at(600)),
        "new_1": queued(document, job, next_attempt_at=at(-5)),
        "new_2": queued(document, job, next_attempt_at=at(-5)),
    }
    return emails


def lines_of(explained) -> dict[str, tuple[int, str]]:
    return {line.key: (line.count, line.detail) for line in explained.lines}


def test_the_breakdown_names_every_email_still_in_the_outbox_with_a_fixed_clock(job, every_kind):
    explained = bulk_outbox(job, NOW)
    lines = lines_of(explained)
    assert {key: count for key, (count, _) in lines.items()} == {
        "sending": 1,
        "retrying": 2,
        "stalled": 2,
        "rate": 2,
        "paused": 1,
        "queued": 2,
    }
    assert explained.total == 10 == job.counts()["queued"]
    assert lines["retrying"][1] == (
        "Next try at 11:05. Last problem: The recipient's server asked to try again later "
        "(451 4.7.1 Greylisted, try again later)"
    )
    # The latest lease ends at 10:10:00 UTC; the first sweep after it (every 15 s) wakes them.
    assert lines["stalled"][1] == (
        "A worker stopped while sending these; they go out again by 11:11."
    )
    assert lines["rate"][1] == "The last should go at about 11:30."
    assert lines["paused"][1] == "Sending is paused: see the message at the top of the page."
    assert explained.retry_now == 2


def test_a_retry_that_is_due_says_it_is_being_tried_again_and_a_long_reason_is_cut(
    company, client_fr, job
):
    document = make_finalized(company, client_fr)
    long_reason = reason_stored("try_later", server="451 " + "x" * 400)
    queued(document, job, attempts=2, next_attempt_at=at(-1), last_error=long_reason)
    [line] = bulk_outbox(job, NOW).lines
    assert line.detail.startswith("Being tried again now. Last problem: The recipient's server")
    assert len(line.detail) < 200 and line.detail.endswith("…")


def test_a_worker_that_stopped_long_ago_is_explained_as_queued_again(company, client_fr, job):
    document = make_finalized(company, client_fr)
    queued(document, job, state=State.SENDING, attempts=1, lease_until=at(-600))
    [line] = bulk_outbox(job, NOW).lines
    assert (line.key, line.count) == ("stalled", 1)
    assert line.detail == (
        "A worker stopped while sending these; they are queued again for another one."
    )


def test_a_time_on_another_day_carries_its_date(company, client_fr, job):
    document = make_finalized(company, client_fr)
    queued(document, job, held=Held.RATE, next_attempt_at=at(24 * 3600))
    [line] = bulk_outbox(job, NOW).lines
    assert line.detail == "The last should go at about 02/12/2026 11:00."


def test_a_finished_bulk_send_has_nothing_to_explain(job, company, client_fr):
    make_email(make_finalized(company, client_fr), bulk_job=job)
    explained = bulk_outbox(job, NOW)
    assert (explained.total, explained.lines, explained.retry_now) == (0, [], 0)


def test_the_progress_json_and_the_page_show_the_same_explanations(owner_client, job, every_kind):
    # The fixture's retries were due hours ago by the real clock; this one is still to come.
    queued(every_kind["sent"].document, job, attempts=1, next_attempt_at=far_future())
    progress = owner_client.get(reverse("bulk_job_progress", args=[job.pk])).json()
    outbox = progress["outbox"]
    assert outbox["total"] == progress["counts"]["queued"] == 11
    assert sum(line["count"] for line in outbox["lines"]) == 11
    by_key = {line["key"]: line for line in outbox["lines"]}
    assert by_key["retrying"]["count"] == 3
    assert by_key["paused"]["label"] == "Sending paused"
    assert by_key["rate"]["label"] == "Waiting for the sending limit"
    assert outbox["retry_now"] == 1  # the two due already are being tried again
    page = owner_client.get(reverse("bulk_job", args=[job.pk])).content.decode()
    for line in outbox["lines"]:
        assert f'<li data-waiting="{line["key"]}"><strong>{line["label"]}</strong>: ' in page
    assert reverse("bulk_job_retry_now", args=[job.pk]) in page
    assert 'id="bulk-retry-now" hidden' not in page


def test_the_retry_button_is_hidden_when_nothing_waits_for_a_retry(owner_client, job, company):
    document = make_finalized(company)
    queued(document, job, held=Held.RATE, next_attempt_at=at(10**6))
    page = owner_client.get(reverse("bulk_job", args=[job.pk])).content.decode()
    assert 'id="bulk-retry-now" hidden' in page
    assert (
        owner_client.get(reverse("bulk_job_progress", args=[job.pk])).json()["outbox"]["retry_now"]
        == 0
    )


# Retry now


def woken() -> list[int]:
    return [i for result in deliver_emails.get_backend().results for i in result.args[0]]


def far_future() -> datetime.datetime:
    return datetime.datetime.now(UTC) + datetime.timedelta(hours=1)


@pytest.fixture
def deferred_and_held(company, client_fr, job):
    document = make_finalized(company, client_fr)
    return {
        "deferred": queued(document, job, attempts=1, next_attempt_at=far_future()),
        "rate": queued(document, job, held=Held.RATE, next_attempt_at=far_future()),
        "paused": queued(document, job, held=Held.PAUSED, next_attempt_at=far_future()),
    }


def next_attempts(emails: dict) -> dict[str, datetime.datetime]:
    return {
        name: OutgoingEmail.objects.get(pk=email.pk).next_attempt_at
        for name, email in emails.items()
    }


def test_retry_now_on_the_bulk_page_makes_the_deferred_email_due_and_wakes_it(
    owner_client, job, deferred_and_held, django_capture_on_commit_callbacks
):
    before = next_attempts(deferred_and_held)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("bulk_job_retry_now", args=[job.pk]), follow=True)
    after = next_attempts(deferred_and_held)
    assert after["deferred"] < before["deferred"]
    assert after["deferred"] <= datetime.datetime.now(UTC)
    assert woken() == [deferred_and_held["deferred"].pk]
    # Held at the gate: untouched.
    assert (after["rate"], after["paused"]) == (before["rate"], before["paused"])
    assert "Emails tried again now: 1." in response.content.decode()


def test_a_second_click_on_retry_now_does_nothing(
    owner_client, job, deferred_and_held, django_capture_on_commit_callbacks
):
    url = reverse("bulk_job_retry_now", args=[job.pk])
    owner_client.post(url)
    first = next_attempts(deferred_and_held)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url, follow=True)
    assert next_attempts(deferred_and_held) == first
    assert woken() == []
    assert "Nothing to retry now" in response.content.decode()


def test_retry_now_is_404_for_an_outsider_and_changes_nothing(
    outsider_client, job, deferred_and_held, company
):
    before = next_attempts(deferred_and_held)
    email = deferred_and_held["deferred"]
    assert outsider_client.post(reverse("bulk_job_retry_now", args=[job.pk])).status_code == 404
    assert outsider_client.post(reverse("email_retry_now", args=[email.pk])).status_code == 404
    assert outsider_client.post(reverse("outbox_retry_now")).status_code == 302  # their own
    assert next_attempts(deferred_and_held) == before


def test_retry_now_needs_the_csrf_token_and_a_post(owner, job, deferred_and_held):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    before = next_attempts(deferred_and_held)
    email = deferred_and_held["deferred"]
    for url in (
        reverse("bulk_job_retry_now", args=[job.pk]),
        reverse("email_retry_now", args=[email.pk]),
        reverse("outbox_retry_now"),
    ):
        assert browser.post(url).status_code == 403, url
        assert browser.get(url).status_code == 405, url
    assert next_attempts(deferred_and_held) == before


def test_the_timeline_offers_retry_now_for_the_deferred_email_only(
    owner_client, company, client_fr, django_capture_on_commit_callbacks
):
    document = make_finalized(company, client_fr)
    deferred = queued(document, None, attempts=2, next_attempt_at=far_future())
    held = queued(document, None, held=Held.RATE, next_attempt_at=far_future())
    sent = make_email(document)
    page = owner_client.get(reverse("document", args=[document.pk])).content.decode()
    assert reverse("email_retry_now", args=[deferred.pk]) in page
    assert reverse("email_retry_now", args=[held.pk]) not in page
    assert reverse("email_retry_now", args=[sent.pk]) not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("email_retry_now", args=[deferred.pk]))
    assert response["Location"] == reverse("document", args=[document.pk])
    assert woken() == [deferred.pk]
    deferred.refresh_from_db()
    assert deferred.next_attempt_at <= datetime.datetime.now(UTC)
    # The held one, asked directly: refused, untouched.
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("email_retry_now", args=[held.pk]))
    assert OutgoingEmail.objects.get(pk=held.pk).next_attempt_at == held.next_attempt_at
    assert woken() == [deferred.pk]


def test_retry_all_deferred_now_from_the_overview_retries_the_company_s_emails_only(
    owner_client, company, client_fr, other_company, django_capture_on_commit_callbacks
):
    mine = queued(
        make_finalized(company, client_fr), None, attempts=1, next_attempt_at=far_future()
    )
    theirs = queued(make_finalized(other_company), None, attempts=1, next_attempt_at=far_future())
    overview = owner_client.get(reverse("documents")).content.decode()
    assert "Retry all deferred now" in overview
    assert "Waiting for a retry after a delivery problem</strong>: 1" in overview
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("outbox_retry_now"))
    assert woken() == [mine.pk]
    assert OutgoingEmail.objects.get(pk=theirs.pk).next_attempt_at == theirs.next_attempt_at
    assert "Retry all deferred now" not in owner_client.get(reverse("documents")).content.decode()


def test_the_overview_notice_stays_away_while_nothing_can_be_retried(company, client_fr):
    document = make_finalized(company, client_fr)
    queued(document, None, held=Held.RATE, next_attempt_at=at(10**6))
    make_email(document)
    assert company_retry_notice(company, NOW) is None

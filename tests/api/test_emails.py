"""The emails through the API: one email with its stored status, each recipient's status,
facts, failure reason (in the request's language) and events as the provider sent them; a
document's emails and all of a company's, polled with updated_since; Update status with the
button's window, one-at-a-time and cooldown rules."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from porto.mail.feedback.refresh.services import email_refresh, refresh_refusal
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.reasons import reason_render
from porto.mail.status import EventType
from tests.api.conftest import error_of
from tests.factories import make_client, make_email, make_finalized
from tests.mail.status_helpers import record
from tests.mail.tracking_helpers import (
    email_with,
    make_live,
    payload,
    post_webhook,
    provider_credentials,
)
from tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db

POSTMARK_ID = "883953f4-6105-42a2-a16a-77a8eac79483"  # the MessageID of the recorded payloads
DELIVERED, BOUNCED = "boekhouding@klant.example", "niemand@klant.example"


@pytest.fixture
def postmark_webhook(client, settings, monkeypatch, django_capture_on_commit_callbacks):
    """POST a recorded Postmark webhook to Porto, then run the queued tasks."""

    def post(name: str):
        with provider_credentials(settings, monkeypatch):
            make_live(settings, "postmark")
            with django_capture_on_commit_callbacks(execute=True):
                response = post_webhook(client, "postmark", payload("postmark", name), {})
            run_queued_tasks()
        assert response.status_code == 200, response.content
        return response

    return post


@pytest.fixture
def bounced_email(company, postmark_webhook):
    """An email handed to Postmark for two addresses: one delivered, one hard-bounced."""
    email = email_with(company, [DELIVERED, BOUNCED], POSTMARK_ID, sent_through="postmark")
    postmark_webhook("delivery")
    postmark_webhook("bounce_hard")
    return email


@pytest.fixture
def invoice(company):
    return make_finalized(company, make_client(company, emails=("boekhouding@klant.example",)))


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def at_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


# One email


def test_one_email_shows_each_recipients_status_facts_reason_and_events(api, bounced_email):
    response = api.get(f"/api/v1/emails/{bounced_email.pk}/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["document"]) == (bounced_email.pk, bounced_email.document_id)
    assert (body["status"], body["some_failed"], body["provider"]) == (
        "delivered",
        True,
        "postmark",
    )
    assert body["tracking"] == {"opens_tracked": False, "read_outlook": "tracking_off"}
    delivered, bounced = body["recipients"]
    assert (delivered["address"], delivered["status"], delivered["failure"]) == (
        DELIVERED,
        "delivered",
        None,
    )
    assert moment(delivered["facts"]["delivered_at"]) == at_utc("2026-03-02T09:00:04.907025")
    assert [(e["type"], e["provider"]) for e in delivered["events"]] == [("delivered", "postmark")]
    assert (bounced["address"], bounced["status"]) == (BOUNCED, "failed")
    assert bounced["failure"]["message"].startswith(
        "The recipient's server says the mailbox does not exist (550 5.1.1"
    )
    stored = Recipient.objects.get(address=BOUNCED).failure_reason
    assert bounced["failure"]["code"] == stored["code"]
    assert [(e["type"], e["provider"], moment(e["at"])) for e in bounced["events"]] == [
        ("bounced", "postmark", at_utc("2026-03-02T09:00:05.123456"))
    ]


def test_the_failure_reason_is_in_the_requests_language(api, bounced_email):
    response = api.get(f"/api/v1/emails/{bounced_email.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    bounced = response.json()["recipients"][1]
    stored = Recipient.objects.get(address=BOUNCED).failure_reason
    with translation.override("nl"):
        dutch = reason_render(stored)
    with translation.override("en"):
        english = reason_render(stored)
    assert bounced["failure"]["message"] == dutch != english


def test_an_outsider_gets_404_on_an_email(outsider_api, bounced_email):
    response = outsider_api.get(f"/api/v1/emails/{bounced_email.pk}/")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_without_a_token_an_email_is_401(anonymous_api, bounced_email):
    assert anonymous_api.get(f"/api/v1/emails/{bounced_email.pk}/").status_code == 401


# Lists and polling


def test_a_documents_emails_are_listed_oldest_change_first(api, invoice, other_company):
    older = make_email(invoice, handed_off_at=ago(hours=3))
    newer = make_email(invoice, handed_off_at=ago(hours=1))
    other_document = make_finalized(invoice.company, invoice.client)
    make_email(other_document, handed_off_at=ago(hours=2))

    response = api.get(f"/api/v1/documents/{invoice.pk}/emails/")

    assert response.status_code == 200
    assert [e["id"] for e in response.json()["results"]] == [older.pk, newer.pk]


def test_an_outsider_gets_404_on_a_documents_emails(outsider_api, anonymous_api, invoice):
    make_email(invoice)
    assert outsider_api.get(f"/api/v1/documents/{invoice.pk}/emails/").status_code == 404
    assert anonymous_api.get(f"/api/v1/documents/{invoice.pk}/emails/").status_code == 401


def test_polling_sees_an_email_again_when_an_event_arrives(api, invoice):
    older = make_email(invoice, handed_off_at=ago(hours=3))
    newer = make_email(invoice, handed_off_at=ago(hours=1))
    since = ago(hours=2).isoformat()

    first = api.get("/api/v1/emails/", {"updated_since": since}).json()["results"]
    assert [e["id"] for e in first] == [newer.pk]

    record(older, "client@klant.example", EventType.DELIVERED, ago(minutes=1))
    polled = api.get("/api/v1/emails/", {"updated_since": since}).json()["results"]

    assert [e["id"] for e in polled] == [newer.pk, older.pk]
    assert polled[1]["status"] == "delivered"
    assert moment(polled[1]["updated_at"]) >= moment(first[0]["updated_at"])


def test_the_company_list_holds_only_its_own_emails(api, outsider_api, anonymous_api, invoice):
    mine = make_email(invoice)
    assert [e["id"] for e in api.get("/api/v1/emails/").json()["results"]] == [mine.pk]
    assert outsider_api.get("/api/v1/emails/").json()["results"] == []
    assert anonymous_api.get("/api/v1/emails/").status_code == 401


def test_a_bad_updated_since_is_refused_with_the_fix(api):
    response = api.get("/api/v1/emails/", {"updated_since": "yesterday"})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "updated_since": [
            {
                "code": "invalid",
                "message": "Give updated_since as a date and time in ISO 8601, like "
                "2026-12-01T09:30:00Z.",
            }
        ]
    }


# Update status


def update_status(api, email: OutgoingEmail):
    return api.post(f"/api/v1/emails/{email.pk}/update-status/")


def test_update_status_runs_once_then_waits_for_the_cooldown(api, invoice, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    email = make_email(invoice, transport="sandbox", handed_off_at=ago(hours=1))

    asked = update_status(api, email)
    assert asked.status_code == 200, asked.content
    assert asked.json()["id"] == email.pk

    running = update_status(api, email)
    assert running.status_code == 409
    assert error_of(running) == {
        "code": "refresh_running",
        "message": "Porto is already asking Sandbox about this email; the status changes as "
        "soon as the answer is in.",
    }

    email_refresh(email.pk)  # what the worker's task does with the claim
    too_soon = update_status(api, email)
    assert too_soon.status_code == 429
    wait = int(too_soon["Retry-After"])
    assert 0 < wait <= settings.PORTO_REFRESH_COOLDOWN + 1
    assert error_of(too_soon) == {
        "code": "refresh_cooldown",
        "message": "The status of this email was updated a moment ago; try again in "
        f"{wait} seconds.",
    }


def test_update_status_outside_the_window_is_409_with_the_rules_words(api, invoice):
    email = make_email(invoice, transport="sandbox", handed_off_at=ago(days=26))
    response = update_status(api, email)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "refresh_window_passed"
    assert error["message"] == refresh_refusal(email, timezone.now())
    assert "can no longer be updated" in error["message"]
    assert OutgoingEmail.objects.get(pk=email.pk).refresh_started_at is None


def test_an_outsider_cannot_update_status(outsider_api, anonymous_api, invoice):
    email = make_email(invoice, transport="sandbox", handed_off_at=ago(hours=1))
    assert update_status(outsider_api, email).status_code == 404
    assert update_status(anonymous_api, email).status_code == 401
    assert OutgoingEmail.objects.get(pk=email.pk).refresh_started_at is None


def test_a_page_of_emails_costs_the_same_queries_for_more_emails(api, invoice):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/emails/").status_code == 200
        return len(captured.captured_queries)

    queries_for_page()  # the token's last use is recorded once a minute: not counted below
    for hours in (5, 4):
        email = make_email(invoice, handed_off_at=ago(hours=hours), cc=("cc@klant.example",))
        record(email, "client@klant.example", EventType.DELIVERED, ago(hours=hours - 1))
    two = queries_for_page()
    for hours in (3, 2):
        email = make_email(invoice, handed_off_at=ago(hours=hours), cc=("cc@klant.example",))
        record(email, "client@klant.example", EventType.DELIVERED, ago(hours=hours - 1))
    assert queries_for_page() == two

"""POST /api/v1/bulk-sends/ and GET /api/v1/bulk-sends/{id}/: one email per document through
the bulk send path; another company's ids are skipped exactly like unknown ones."""

import pytest
from django.utils import translation

from porto.emailsettings.models import Method
from porto.emailsettings.selectors import email_settings_for
from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.reasons import reason_render
from tests.api.conftest import error_of
from tests.api.test_send import media, no_einvoice_rules, no_worker
from tests.factories import make_client, make_document, make_finalized
from tests.web.conftest import prestore_pdf
from tests.web.worker import run_worker

__all__ = ["media", "no_einvoice_rules", "no_worker"]

pytestmark = pytest.mark.django_db

BULK = "/api/v1/bulk-sends/"


@pytest.fixture
def mixed(company, other_company):
    """An own finalized invoice, an own draft, another company's finalized invoice."""
    client = make_client(company, language="nl", emails=("boekhouding@klant.example",))
    finalized = make_finalized(company, client)
    prestore_pdf(finalized)
    draft = make_document(company, client)
    theirs = make_finalized(
        other_company, make_client(other_company, emails=("them@elders.example",))
    )
    return finalized, draft, theirs


def test_only_the_own_finalized_document_is_sent(api, mixed):
    finalized, draft, theirs = mixed
    unknown = theirs.pk + 1000

    response = api.post(BULK, {"documents": [finalized.pk, draft.pk, theirs.pk, unknown]})

    assert response.status_code == 202, response.content
    body = response.json()
    email = OutgoingEmail.objects.get()
    assert email.document == finalized
    assert [r.address for r in email.recipients.all()] == ["boekhouding@klant.example"]
    assert body["emails"] == [email.pk]
    assert body["counts"] == {
        "requested": 4,
        "queued": 1,
        "sent": 0,
        "failed": 0,
        "skipped": 3,
    }
    assert (body["done"], body["progress"]) == (False, 0)
    skipped = {s["document"]: s for s in body["skipped"]}
    assert skipped[draft.pk]["reason"]["code"] == "document_not_sendable"
    assert skipped[draft.pk]["reason"]["message"] == (
        f"This document cannot be sent: {draft.display_title} is still a draft: finalize it "
        "before sending."
    )
    # Another company's id reads exactly as an unknown one.
    assert {k: v for k, v in skipped[theirs.pk].items() if k != "document"} == {
        k: v for k, v in skipped[unknown].items() if k != "document"
    }
    assert skipped[theirs.pk]["number"] == ""
    assert skipped[theirs.pk]["reason"]["code"] == "document_missing"


@pytest.mark.django_db(transaction=True)
def test_progress_reaches_done_after_the_worker(sandbox, api, mixed):
    finalized, _draft, _theirs = mixed
    job_id = api.post(BULK, {"documents": [finalized.pk]}).json()["id"]
    run_worker()

    response = api.get(f"{BULK}{job_id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["counts"]["sent"] == 1 and body["counts"]["queued"] == 0
    assert (body["done"], body["progress"]) == (True, 100)


def test_skip_reasons_are_in_the_requests_language(api, mixed):
    _finalized, draft, theirs = mixed
    response = api.post(BULK, {"documents": [draft.pk, theirs.pk]}, HTTP_ACCEPT_LANGUAGE="fr")
    job = BulkJob.objects.get()
    with translation.override("fr"):
        expected = {s["document"]: reason_render(s["reason"]) for s in job.skipped}
    shown = {s["document"]: s["reason"]["message"] for s in response.json()["skipped"]}
    assert shown == expected
    with translation.override("en"):
        assert shown[theirs.pk] != reason_render(job.skipped[1]["reason"])


def test_an_empty_list_is_refused_with_the_fix(api):
    response = api.post(BULK, {"documents": []})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "documents": [{"code": "empty", "message": "Give at least one document id."}]
    }
    assert not BulkJob.objects.exists()


def test_a_missing_list_is_refused_with_the_fix(api):
    response = api.post(BULK, {})
    assert error_of(response)["fields"] == {
        "documents": [{"code": "required", "message": "Give the ids of the documents to send."}]
    }


def test_the_same_key_twice_makes_one_bulk_job(api, mixed):
    finalized, _draft, _theirs = mixed
    key = {"HTTP_IDEMPOTENCY_KEY": "bulk-2026-12-01-run-1"}
    first = api.post(BULK, {"documents": [finalized.pk]}, **key)
    again = api.post(BULK, {"documents": [finalized.pk]}, **key)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert BulkJob.objects.count() == 1 and OutgoingEmail.objects.count() == 1


def test_an_outsider_gets_404_on_the_job_and_sends_nothing_of_ours(outsider_api, api, mixed):
    finalized, _draft, _theirs = mixed
    job_id = api.post(BULK, {"documents": [finalized.pk]}).json()["id"]

    assert outsider_api.get(f"{BULK}{job_id}/").status_code == 404
    response = outsider_api.post(BULK, {"documents": [finalized.pk]})
    assert response.status_code == 202
    assert response.json()["emails"] == []
    assert response.json()["skipped"][0]["reason"]["code"] == "document_missing"
    assert OutgoingEmail.objects.count() == 1


def test_without_a_token_it_is_401(anonymous_api, api, mixed):
    finalized, _draft, _theirs = mixed
    job_id = api.post(BULK, {"documents": [finalized.pk]}).json()["id"]
    assert anonymous_api.get(f"{BULK}{job_id}/").status_code == 401
    assert anonymous_api.post(BULK, {"documents": [finalized.pk]}).status_code == 401
    assert BulkJob.objects.count() == 1


def test_own_smtp_without_a_server_refuses_the_whole_bulk_send(api, company, mixed):
    finalized, _draft, _theirs = mixed
    settings_row = email_settings_for(company)
    settings_row.method = Method.SMTP
    settings_row.smtp_host = ""
    settings_row.save()

    response = api.post(BULK, {"documents": [finalized.pk]})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "non_field_errors": [
            {
                "code": "sender_not_configured",
                "message": "Your email settings use Own mailbox (SMTP) but the server or the "
                "from-address is missing: complete them in Settings > Email settings.",
            }
        ]
    }
    assert not BulkJob.objects.exists() and not OutgoingEmail.objects.exists()

"""Bulk send: one separate email per document, to its client's default address, in its
client's language; what cannot be sent is listed with the reason."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from porto.documents.models import Document, DocumentKind
from porto.emailsettings.selectors import email_settings_for
from porto.mail.delivery import email_deliver
from porto.mail.models import OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.requests import bulk_send
from tests.factories import (
    make_client,
    make_company,
    make_document,
    make_finalized,
    make_finalized_in_bulk,
)
from tests.mail.conftest import prestore_pdf

SUBJECT_WORDS = {"nl": "factuur", "fr": "facture", "en": "invoice"}


def deliver_all(job) -> None:
    for email_id in job.emails.values_list("pk", flat=True):
        assert email_deliver(email_id) == "sent"


def test_two_hundred_documents_make_two_hundred_separate_emails(smtp_server, company):
    languages = itertools.cycle(["nl", "fr", "en"])
    clients = [
        make_client(company, language=next(languages), emails=(f"client{i}@klant.example",))
        for i in range(20)
    ]
    documents = [make_finalized(company, clients[i % 20]) for i in range(200)]
    pdfs = {document.pk: prestore_pdf(document) for document in documents}

    job = bulk_send(company, [d.pk for d in documents])
    assert job.counts() == {"queued": 200, "sent": 0, "failed": 0, "skipped": 0, "requested": 200}
    deliver_all(job)
    assert job.counts() == {"queued": 0, "sent": 200, "failed": 0, "skipped": 0, "requested": 200}

    received = smtp_server.received
    assert len(received) == 200
    assert len({r.message_id for r in received}) == 200
    by_message_id = {
        f"<{e.message_id}>": e for e in OutgoingEmail.objects.select_related("document__client")
    }
    for message in received:
        email = by_message_id[message.message_id]
        document = email.document
        assert message.rcpt_tos == [document.client.default_email.address]
        [attachment] = list(message.message.iter_attachments())
        assert attachment.get_payload(decode=True) == pdfs[document.pk]
        assert attachment.get_filename().endswith(f"-{document.number}.pdf")
        language = document.client.language
        assert message.message["Content-Language"] == language
        assert SUBJECT_WORDS[language] in str(message.message["Subject"]).lower()
        assert document.number in str(message.message["Subject"])
    assert Document.objects.filter(pk__in=pdfs, sent_at__isnull=False).count() == 200


def test_documents_that_cannot_be_sent_are_reported_with_the_reason(
    smtp_server, company, other_company
):
    email_settings = email_settings_for(company)
    email_settings.default_format = "pdf+ubl"
    email_settings.save()
    good = make_finalized(company, make_client(company, emails=("ok@klant.example",)))
    no_address = make_finalized(company, make_client(company))
    no_address.client.emails.all().delete()
    draft = make_document(company, make_client(company))
    person = make_client(
        company, kind="person", vat_number="", kbo_number="", peppol_scheme="", peppol_id=""
    )
    no_ubl = make_finalized(company, person)
    quote = make_finalized(company, make_client(company), kind=DocumentKind.QUOTE)
    foreign = make_finalized(other_company, make_client(other_company))

    ids = [good.pk, no_address.pk, draft.pk, no_ubl.pk, quote.pk, foreign.pk]
    job = bulk_send(company, ids)

    reasons = {entry["document"]: reason_render(entry["reason"]) for entry in job.skipped}
    assert set(reasons) == {no_address.pk, draft.pk, no_ubl.pk, foreign.pk}
    assert reasons[no_address.pk] == (
        "This document cannot be sent: "
        "The client has no default email address: add one to the client, then send."
    )
    assert reasons[draft.pk] == (
        "This document cannot be sent: Invoice is still a draft: finalize it before sending."
    )
    assert "private person" in reasons[no_ubl.pk]
    assert reasons[foreign.pk] == "This document does not exist."  # another company's: not told
    assert job.counts()["skipped"] == 4
    # The quote goes as PDF: UBL does not exist for quotes.
    formats = dict(job.emails.values_list("document_id", "file_format"))
    assert formats == {good.pk: "pdf+ubl", quote.pk: "pdf"}

    deliver_all(job)
    assert job.counts() == {"queued": 0, "sent": 2, "failed": 0, "skipped": 4, "requested": 6}
    by_document = {r.message["Subject"]: r for r in smtp_server.received}
    assert len(by_document) == 2
    types = sorted(
        tuple(p.get_content_type() for p in r.message.iter_attachments())
        for r in smtp_server.received
    )
    assert types == [("application/pdf",), ("application/pdf", "application/xml")]


def test_a_document_file_that_cannot_be_made_fails_the_email_with_the_reason(
    smtp_server, company, monkeypatch
):
    from django.core.exceptions import ValidationError

    document = make_finalized(company, make_client(company, emails=("ok@klant.example",)))
    job = bulk_send(company, [document.pk])

    def invalid(document, fmt):
        raise ValidationError(["BR-CO-15: the total with VAT is wrong (rule BR-CO-15)"])

    monkeypatch.setattr("porto.mail.sources.document_files", invalid)
    [email_id] = job.emails.values_list("pk", flat=True)
    assert email_deliver(email_id) == "failed"
    assert job.counts()["failed"] == 1
    email = OutgoingEmail.objects.get(pk=email_id)
    assert "BR-CO-15" in reason_render(email.last_error)
    assert smtp_server.received == []


def bulk_documents(company, count: int) -> list[int]:
    """Finalized documents written in one go (the bulk request is measured, not these)."""
    documents = make_finalized_in_bulk(company, count, clients=12)
    return [d.pk for d in documents]


def statements(queries) -> tuple[int, int]:
    """(inserts, everything else) among the captured queries."""
    inserts = sum(q["sql"].lstrip().upper().startswith("INSERT") for q in queries)
    return inserts, len(queries) - inserts


def test_queueing_a_thousand_documents_is_one_request_with_batched_writes(
    company, django_capture_on_commit_callbacks
):
    ids = bulk_documents(company, 1000)
    email_settings_for(company)
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks() as callbacks,
    ):
        job = bulk_send(company, ids)
    assert job.counts()["queued"] == 1000
    assert job.skipped == []
    assert callbacks == []  # services never enqueue: the caller wakes job.emails on commit
    inserts, others = statements(captured.captured_queries)
    assert others <= 20  # reads: documents, clients, addresses, lines, settings, texts
    assert inserts <= 1000 / 10  # rows go in batches (SQLite caps a statement's parameters)


@pytest.mark.parametrize("count", [10, 300])
def test_the_reads_do_not_grow_with_the_batch(company, count):
    ids = bulk_documents(company, count)
    email_settings_for(company)
    with CaptureQueriesContext(connection) as captured:
        bulk_send(company, ids)
    inserts, others = statements(captured.captured_queries)
    assert others <= 20
    assert inserts <= count / 10 + 5  # each insert carries many rows


def test_a_bulk_job_of_another_company_is_not_mixed_in(company, other_company):
    mine = make_finalized(company, make_client(company))
    job = bulk_send(other_company, [mine.pk])
    assert job.skipped == [
        {"document": mine.pk, "number": "", "reason": {"code": "document_missing", "params": {}}}
    ]
    assert OutgoingEmail.objects.count() == 0


@pytest.fixture
def other_company(db):
    return make_company("Other Company NV", slug="other-company")

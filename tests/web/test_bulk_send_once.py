"""A "Send documents" summary sends once: posting it again (a double click, back and resubmit)
queues nothing more and points at the job it started; a new summary is a new decision."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from porto.mail.models import BulkJob, OutgoingEmail
from porto.web.models import BulkSendKey
from tests.factories import make_company, make_finalized, make_user
from tests.mail.conftest import prestore_pdf


@pytest.fixture
def three(company, client_fr):
    documents = [make_finalized(company, client_fr) for _ in range(3)]
    for document in documents:
        prestore_pdf(document)
    return [d.pk for d in documents]


def summary_key(owner_client, ids: list[int]) -> str:
    html = owner_client.post(reverse("bulk_summary"), {"documents": ids}).content.decode()
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found, "the summary carries no idempotency key"
    return found[1]


def post(client, ids: list[int], key: str):
    return client.post(reverse("bulk_start"), {"documents": ids, "idempotency_key": key})


def test_posting_the_same_summary_twice_queues_each_document_once(owner_client, three):
    key = summary_key(owner_client, three)
    post(owner_client, three, key)
    second = post(owner_client, three, key)
    assert BulkJob.objects.count() == 1
    assert OutgoingEmail.objects.count() == 3
    banner = [str(m) for m in get_messages(second.wsgi_request)][-1]
    assert "already sent with this request; nothing was sent again" in banner
    job = BulkJob.objects.get()
    assert reverse("bulk_job", args=[job.pk]) in banner


def test_each_summary_gets_its_own_key_so_a_new_decision_sends_again(owner_client, three):
    first, second = summary_key(owner_client, three), summary_key(owner_client, three)
    assert first != second
    post(owner_client, three, first)
    post(owner_client, three, second)
    assert BulkJob.objects.count() == 2
    assert OutgoingEmail.objects.count() == 6


def test_a_refused_bulk_send_leaves_its_key_free(owner_client, three, monkeypatch):
    from django.core.exceptions import ValidationError

    from porto.web import services

    real = services.bulk_send

    def refused_once(*args, **kwargs):
        monkeypatch.setattr(services, "bulk_send", real)
        raise ValidationError("Set the sender address in Email settings first.")

    monkeypatch.setattr(services, "bulk_send", refused_once)
    key = summary_key(owner_client, three)
    post(owner_client, three, key)
    assert not BulkSendKey.objects.exists()
    post(owner_client, three, key)
    assert OutgoingEmail.objects.count() == 3


def test_the_same_key_in_another_company_is_that_company_s_own_send(
    owner_client, client, three, db
):
    key = summary_key(owner_client, three)
    post(owner_client, three, key)
    other = make_company("Brouwerij Het Anker NV", slug="brouwerij-het-anker")
    from tests.factories import make_client

    theirs = make_finalized(other, make_client(other, emails=("boekhouding@anker.example",)))
    prestore_pdf(theirs)
    client.force_login(make_user(other))
    post(client, [theirs.pk], key)
    assert BulkJob.objects.filter(company=other).count() == 1
    assert OutgoingEmail.objects.filter(company=other).count() == 1
    assert OutgoingEmail.objects.filter(company__slug="acme-bv").count() == 3

"""The webhook view's two statements written as SQL (``porto/mail/feedback/webhook_rows.py``):
the row stored is the one ``InboundWebhook.objects.create`` stored, and the wake-up question
answers as the queryset it replaces. Run on SQLite and in the PostgreSQL pass."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from porto.mail.feedback.webhook_rows import inbound_webhook_insert, inbound_webhook_waiting_before
from porto.mail.feedback.webhooks import pending_webhooks
from porto.mail.models import InboundWebhook

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=dt.UTC)
HEADERS = {"Content-Type": "application/json", "svix-id": "msg_2a", "X-Note": "é ✓"}
BODY = b'{"RecordType": "Delivery", "MessageID": "pm-1", "Details": "caf\xc3\xa9 \x01\xff"}'


def stored_values(webhook_id: int) -> dict:
    row = InboundWebhook.objects.values().get(pk=webhook_id)
    row.pop("id")
    row["body"] = bytes(row["body"])
    return row


def test_the_raw_insert_stores_exactly_what_the_orm_stored():
    with freeze_time(AT):
        by_orm = InboundWebhook.objects.create(
            provider="postmark", headers=HEADERS, body=BODY, delivery_key="postmark:sha256:orm"
        )
        raw = inbound_webhook_insert("postmark", HEADERS, BODY, "postmark:sha256:raw")
    expected = stored_values(by_orm.pk) | {"delivery_key": "postmark:sha256:raw"}
    assert stored_values(raw.pk) == expected
    assert expected["received_at"] == AT and expected["headers"] == HEADERS
    assert expected["body"] == BODY


def test_the_raw_insert_returns_the_saved_row_with_its_new_id():
    first = inbound_webhook_insert("postmark", {}, b"{}", "postmark:sha256:a")
    second = inbound_webhook_insert("postmark", {}, b"[]", "postmark:sha256:b")
    assert second.pk > first.pk
    assert not second._state.adding
    assert InboundWebhook.objects.get(pk=second.pk).delivery_key == "postmark:sha256:b"
    assert (second.processed_at, second.events_recorded, second.error) == (None, 0, "")


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_raw_insert_is_one_statement():
    with CaptureQueriesContext(connection) as queries:
        inbound_webhook_insert("postmark", HEADERS, BODY, "postmark:sha256:one")
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]


def test_a_delivery_key_already_stored_raises_integrity_error_and_stores_nothing():
    inbound_webhook_insert("postmark", {}, b"{}", "mailgun:token:abc")
    with pytest.raises(IntegrityError), transaction.atomic():
        inbound_webhook_insert("postmark", {}, b"{ }", "mailgun:token:abc")
    assert InboundWebhook.objects.filter(delivery_key="mailgun:token:abc").count() == 1


def test_a_known_key_inside_a_transaction_leaves_that_transaction_usable():
    # The test runs inside a transaction: the INSERT runs in a savepoint (on PostgreSQL a
    # failed statement outside one would abort the whole transaction).
    assert connection.in_atomic_block
    inbound_webhook_insert("postmark", {}, b"{}", "resend:svix:msg_1")
    with pytest.raises(IntegrityError):
        inbound_webhook_insert("postmark", {}, b"{ }", "resend:svix:msg_1")
    assert InboundWebhook.objects.filter(delivery_key="resend:svix:msg_1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_row_is_committed_when_the_insert_returns():
    webhook = inbound_webhook_insert("postmark", HEADERS, BODY, "postmark:sha256:committed")
    seen: list[bytes] = []

    def another_connection() -> None:
        try:
            seen.append(bytes(InboundWebhook.objects.get(pk=webhook.pk).body))
        finally:
            connections.close_all()

    reader = threading.Thread(target=another_connection)
    reader.start()
    reader.join()
    assert seen == [BODY]


def received(at: dt.datetime, *, processed: bool = False) -> int:
    webhook = InboundWebhook.objects.create(
        provider="postmark", body=b"{}", received_at=at, processed_at=at if processed else None
    )
    return webhook.pk


def test_the_wake_up_question_answers_as_the_queryset_it_replaced():
    rows = [
        received(AT - dt.timedelta(seconds=90)),  # the sweeper's by now
        received(AT - dt.timedelta(seconds=30), processed=True),
        received(AT - dt.timedelta(seconds=20)),
        received(AT - dt.timedelta(seconds=10), processed=True),
        received(AT),
        received(AT + dt.timedelta(seconds=1)),
    ]
    sinces = [AT - dt.timedelta(seconds=s) for s in (120, 60, 25, 15, 0, -1, -5)]
    for webhook_id in [rows[0] - 1, *rows, rows[-1] + 1]:
        for since in sinces:
            expected = pending_webhooks().filter(pk__lt=webhook_id, received_at__gte=since).exists()
            assert inbound_webhook_waiting_before(webhook_id, since) is expected, (
                webhook_id,
                since,
            )


def test_the_wake_up_question_sees_a_waiting_request_to_the_microsecond():
    first = received(AT)
    later = received(AT + dt.timedelta(seconds=5))
    assert inbound_webhook_waiting_before(later, AT) is True
    assert inbound_webhook_waiting_before(later, AT + dt.timedelta(microseconds=1)) is False
    assert inbound_webhook_waiting_before(first, AT - dt.timedelta(days=1)) is False

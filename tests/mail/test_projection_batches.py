"""Webhook projection in batches: the same stored statuses as one request at a time, in any
order; a bounded number of SQL statements per event; a bad row isolated, never dropped; a
burst of requests wakes one task.

The requests are Postmark's documented payloads (``tests/mail/payloads/postmark``) with their
message id, address, time and event id changed, stored as the webhook view stores them."""

import datetime as dt
import json
import random

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from porto.mail.feedback.webhooks import (
    webhook_process,
    webhooks_batch_project,
    webhooks_project,
    webhooks_retry,
)
from porto.mail.models import DeliveryEvent, InboundWebhook, OutgoingEmail, Recipient
from porto.mail.status import Status
from tests.tasks import enqueued_tasks, run_queued_tasks

from .tracking_helpers import email_with, make_live, payload, post_webhook

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TIME_FIELD = {"Delivery": "DeliveredAt", "Bounce": "BouncedAt", "Open": "ReceivedAt"}
ADDRESS_FIELD = {"Delivery": "Recipient", "Bounce": "Email", "Open": "Recipient"}


def postmark(name: str, message_id: str, address: str, seconds: int, event_id: int = 0) -> bytes:
    """A Postmark webhook body of the documented kind ``name``, about (message id, address),
    ``seconds`` after the hand-off."""
    body = json.loads(payload("postmark", name))
    kind = body["RecordType"]
    body["MessageID"] = message_id
    body[ADDRESS_FIELD[kind]] = address
    body[TIME_FIELD[kind]] = (AT + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    if "ID" in body:
        body["ID"] = event_id
    return json.dumps(body).encode()


def stored(body: bytes) -> InboundWebhook:
    """A request as the webhook view stores it after authentication."""
    return InboundWebhook.objects.create(
        provider="postmark", headers={"Content-Type": "application/json"}, body=body
    )


def three_emails(company) -> list[tuple[str, list[str]]]:
    """(Postmark message id, addresses) of three emails sent through Postmark."""
    plan = [
        ("8d1b1a52-0000-4000-8000-000000000001", ["boekhouding@klant.example"]),
        ("8d1b1a52-0000-4000-8000-000000000002", ["jan@klant.example", "an@klant.example"]),
        ("8d1b1a52-0000-4000-8000-000000000003", ["info@klant.example"]),
    ]
    for number, (message_id, addresses) in enumerate(plan):
        email_with(
            company,
            addresses,
            message_id,
            sent_through="postmark",
            message_id=f"porto.{number}@send.example",
            track_opens=True,
        )
    return plan


def bodies(plan) -> list[bytes]:
    """Events late, twice and out of order: soft then hard bounces, deliveries, a person's and
    an automatic open, a duplicate; ties in time between deferrals with other reasons."""
    (first, [boekhouding]), (second, [jan, an]), (third, [info]) = plan
    return [
        postmark("bounce_soft", first, boekhouding, 3, event_id=11),
        postmark("bounce_soft", first, boekhouding, 3, event_id=12),  # same time, other id
        postmark("delivery", first, boekhouding, 5),
        postmark("open", first, boekhouding, 4000),
        postmark("open", first, boekhouding, 4000),  # the same open twice
        postmark("delivery", second, jan, 4),
        postmark("bounce_hard", second, an, 6, event_id=21),
        postmark("bounce_hard", second, an, 2, event_id=22),  # an earlier failure, late
        postmark("open_apple_proxy", second, jan, 7),
        postmark("bounce_soft", third, info, 9, event_id=31),
        postmark("bounce_soft", third, info, 2, event_id=32),  # an older deferral, late
    ]


def snapshot() -> tuple:
    """Everything the projection writes: each recipient's facts and deferral reason, each
    email's stored status, the event log's keys and links."""
    recipients = [
        (
            r.address,
            *(str(getattr(r, name)) for name in Recipient.FACT_FIELDS),
            json.dumps(r.last_deferral_reason, sort_keys=True),
        )
        for r in Recipient.objects.order_by("address")
    ]
    emails = list(
        OutgoingEmail.objects.order_by("message_id").values_list(
            "message_id", "shown_status", "unknown_after", "some_failed"
        )
    )
    log = sorted(
        DeliveryEvent.objects.values_list("dedupe_key", "recipient__address", "type", "at")
    )
    return recipients, emails, log


def projected(order: list[bytes], *, one_at_a_time: bool) -> tuple:
    """Store ``order`` and project it (in one batch, or each request alone), roll back,
    and return what was written."""
    with transaction.atomic():
        rows = [stored(body) for body in order]
        if one_at_a_time:
            for row in rows:
                webhook_process(row.pk)
        else:
            assert webhooks_project().requests == len(rows)
        result = snapshot()
        transaction.set_rollback(True)
    return result


@pytest.fixture
def plan(company):
    return three_emails(company)


def test_the_expected_statuses_come_out_of_one_batch(plan):
    with transaction.atomic():
        for body in bodies(plan):
            stored(body)
        webhooks_project()
        statuses = dict(OutgoingEmail.objects.values_list("message_id", "shown_status"))
        jan, an = (
            Recipient.objects.get(address="jan@klant.example"),
            Recipient.objects.get(address="an@klant.example"),
        )
        transaction.set_rollback(True)
    assert statuses == {
        "porto.0@send.example": Status.READ,
        "porto.1@send.example": Status.DELIVERED,
        "porto.2@send.example": Status.IN_TRANSIT,
    }
    assert jan.machine_open_at is not None and jan.human_open_at is None
    assert an.failed_at == AT + dt.timedelta(seconds=2)  # the earliest failure, though late


def test_a_batch_and_one_request_at_a_time_store_the_same_in_the_documented_order(plan):
    order = bodies(plan)
    assert projected(order, one_at_a_time=False) == projected(order, one_at_a_time=True)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_order_in_one_batch_or_one_at_a_time_stores_the_same_statuses(plan, data):
    order = bodies(plan)
    expected = projected(order, one_at_a_time=False)
    shuffled = data.draw(st.permutations(order), label="order")
    one_at_a_time = data.draw(st.booleans(), label="one request at a time")
    assert projected(shuffled, one_at_a_time=one_at_a_time) == expected


def test_the_same_events_split_over_several_batches_store_the_same_statuses(plan):
    order = bodies(plan)
    expected = projected(order, one_at_a_time=False)
    with transaction.atomic():
        for body in random.Random(7).sample(order, len(order)):
            stored(body)
        while webhooks_batch_project(InboundWebhook.objects.filter(processed_at=None), 3).requests:
            pass
        assert snapshot() == expected
        transaction.set_rollback(True)


# --- SQL statements per event ---------------------------------------------------------------


def statements_for_batch(company, emails: int, first: int = 0) -> int:
    """SQL statements to project ``emails`` delivery requests (one per email) in one batch."""
    for number in range(first, first + emails):
        message_id = f"5a0c7d52-0000-4000-8000-{number:012d}"
        address = f"klant{number}@klant.example"
        email_with(
            company,
            [address],
            message_id,
            sent_through="postmark",
            message_id=f"batch.{number}@send.example",
        )
        stored(postmark("delivery", message_id, address, 4))
    with CaptureQueriesContext(connection) as queries:
        projection = webhooks_project()
    assert projection.recorded == emails
    delivered = OutgoingEmail.objects.filter(shown_status=Status.DELIVERED)
    assert delivered.filter(message_id__startswith="batch.").count() >= emails
    return len(queries.captured_queries)


def test_a_batch_of_200_events_takes_fewer_than_one_sql_statement_per_five_events(company):
    assert statements_for_batch(company, 200) < 200 / 5


def test_a_batch_of_20_events_takes_as_many_statements_as_a_batch_of_2_but_a_few(company):
    """The statements that grow with the batch are the INSERTs, split by the database's
    limit on parameters (SQLite: 999 values per statement): every other one is per batch."""
    small = statements_for_batch(company, 2)
    assert statements_for_batch(company, 20, first=2) - small <= 2


def test_one_request_at_a_time_takes_more_statements_than_a_batch(company, plan):
    rows = [stored(body) for body in bodies(plan)]
    with CaptureQueriesContext(connection) as alone:
        for row in rows[:5]:
            webhook_process(row.pk)
    with CaptureQueriesContext(connection) as batch:
        webhooks_project()
    assert len(batch.captured_queries) < len(alone.captured_queries)


# --- A bad row in a batch --------------------------------------------------------------------


def lone_surrogate_bounce(plan) -> bytes:
    """A hard bounce whose message id the database cannot store (no UTF-8 for it)."""
    body = json.loads(postmark("bounce_hard", plan[0][0], "boekhouding@klant.example", 5, 99))
    body["MessageID"] = "\ud800"
    return json.dumps(body).encode()


def test_a_batch_with_a_row_the_database_refuses_records_the_others_and_keeps_the_bad_one(
    plan,
):
    good = [stored(body) for body in bodies(plan)[:3]]
    bad = stored(lone_surrogate_bounce(plan))
    late = stored(postmark("delivery", plan[2][0], "info@klant.example", 8))
    projection = webhooks_project()
    assert projection.requests == 5
    bad.refresh_from_db()
    assert bad.processed_at is not None and "UnicodeEncodeError" in bad.error
    assert bytes(bad.body) == lone_surrogate_bounce(plan)  # kept as received
    for row in [*good, late]:
        row.refresh_from_db()
        assert row.processed_at is not None and row.error == ""
    assert Recipient.objects.get(address="info@klant.example").delivered_at is not None
    assert Recipient.objects.get(address="boekhouding@klant.example").delivered_at is not None


def test_a_row_marked_failed_is_projected_again_once_put_back(plan):
    row = stored(postmark("delivery", plan[2][0], "info@klant.example", 8))
    InboundWebhook.objects.filter(pk=row.pk).update(
        processed_at=AT, error="RuntimeError: a bug since fixed"
    )
    assert webhooks_project().requests == 0  # marked failed: not taken again by itself
    assert webhooks_retry([row.pk]) == 1
    assert webhooks_project().recorded == 1
    row.refresh_from_db()
    assert row.error == "" and row.events_recorded == 1
    assert Recipient.objects.get(address="info@klant.example").delivered_at is not None


# --- Waking the projection -------------------------------------------------------------------


@pytest.fixture
def live_postmark(settings, monkeypatch):
    from .tracking_helpers import provider_credentials

    make_live(settings, "postmark")
    with provider_credentials(settings, monkeypatch):
        yield


def projection_tasks() -> int:
    return sum(task.task.module_path.endswith("process_webhook") for task in enqueued_tasks())


def test_a_burst_of_webhook_requests_wakes_one_task_which_projects_them_all(
    client, plan, live_postmark, django_capture_on_commit_callbacks
):
    for body in bodies(plan):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_webhook(client, "postmark", body, {}).status_code == 200
    assert InboundWebhook.objects.count() == len(bodies(plan)) - 1  # one retry not stored
    assert projection_tasks() == 1
    run_queued_tasks()
    assert not InboundWebhook.objects.filter(processed_at=None).exists()
    assert OutgoingEmail.objects.get(message_id="porto.0@send.example").shown_status == "read"


def test_a_request_after_the_projection_ran_wakes_a_new_task(
    client, plan, live_postmark, django_capture_on_commit_callbacks
):
    first, second = bodies(plan)[5], bodies(plan)[6]
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, "postmark", first, {})
    run_queued_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, "postmark", second, {})
    assert projection_tasks() == 2
    run_queued_tasks()
    assert Recipient.objects.get(address="an@klant.example").failed_at is not None


def test_a_request_stored_while_a_short_batch_ran_is_taken_by_the_same_task(plan, monkeypatch):
    """Its own wake-up was skipped (the batch's rows were still waiting), so the projection
    claims again after a batch that came back short."""
    from porto.mail.feedback import webhooks

    stored(postmark("delivery", plan[0][0], "boekhouding@klant.example", 5))
    real_batch = webhooks.webhooks_batch_project
    arrived: list[InboundWebhook] = []

    def batch_during_which_a_request_arrives(pending, size):
        projected = real_batch(pending, size)
        if not arrived:
            arrived.append(stored(postmark("delivery", plan[2][0], "info@klant.example", 8)))
        return projected

    monkeypatch.setattr(webhooks, "webhooks_batch_project", batch_during_which_a_request_arrives)
    assert webhooks.webhooks_project().requests == 2
    arrived[0].refresh_from_db()
    assert arrived[0].processed_at is not None and arrived[0].events_recorded == 1

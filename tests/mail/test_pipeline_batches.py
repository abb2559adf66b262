"""The worker delivers a batch of emails with a fixed, small number of SQL statements per
email, and batching keeps the outbox's promise: every answer is written down the moment it
arrives, so a worker that dies before recording its batch resends nothing."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from porto.mail import delivery
from porto.mail.delivery import email_deliver
from porto.mail.models import DeliveryAttempt, OutgoingEmail
from porto.mail.requests import bulk_send
from porto.mail.tasks import WAKE_BATCH, deliver_emails
from tests.factories import make_finalized_in_bulk
from tests.mail.conftest import prestore_pdf

# What one more email of a batch costs: its answer written on its attempt, its document's
# stored file, its status stored (email row, recipients, update), the outbound webhooks'
# lookup of listening endpoints, and its document marked sent.
STATEMENTS_PER_EXTRA_EMAIL = 7
# Everything else is paid once per batch: claim, recovery check, files, hand-offs, events,
# facts, attempts, settle.
STATEMENTS_PER_EMAIL_OF_A_FULL_BATCH = 8


def queued_bulk(company, count: int) -> list[int]:
    documents = make_finalized_in_bulk(company, count, clients=5)
    for document in documents:
        prestore_pdf(document)
    job = bulk_send(company, [d.pk for d in documents])
    return list(job.emails.order_by("pk").values_list("pk", flat=True))


def statements_to_deliver(email_ids: list[int]) -> int:
    """SQL statements the worker's task runs for ``email_ids`` (savepoints not counted)."""
    with CaptureQueriesContext(connection) as captured:
        outcomes = deliver_emails.call(email_ids)
    assert set(outcomes.values()) == {"sent"}, outcomes
    return sum(
        not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        for q in captured.captured_queries
    )


def test_a_full_batch_costs_at_most_eight_statements_per_email(smtp_server, company):
    email_ids = queued_bulk(company, WAKE_BATCH)
    statements = statements_to_deliver(email_ids)
    assert statements <= STATEMENTS_PER_EMAIL_OF_A_FULL_BATCH * WAKE_BATCH, statements
    assert len(smtp_server.received) == WAKE_BATCH


def test_each_more_email_in_a_batch_costs_at_most_seven_statements(smtp_server, company):
    email_ids = queued_bulk(company, 60)
    small = statements_to_deliver(email_ids[:20])
    large = statements_to_deliver(email_ids[20:])
    assert large - small <= STATEMENTS_PER_EXTRA_EMAIL * 20, (small, large)
    assert OutgoingEmail.objects.filter(state=OutgoingEmail.State.SENT).count() == 60


class Crash(BaseException):
    """The worker process dies here (not an error the code could catch)."""


def test_a_worker_dying_before_recording_its_batch_resends_nothing(
    smtp_server, company, monkeypatch
):
    email_ids = queued_bulk(company, 5)

    def die(hand_offs):
        raise Crash

    monkeypatch.setattr(delivery, "record_hand_offs", die)
    with pytest.raises(Crash):
        deliver_emails.call(email_ids)
    assert len(smtp_server.received) == 5  # all handed off, none recorded
    monkeypatch.undo()

    later = OutgoingEmail.objects.get(pk=email_ids[0]).lease_until + dt.timedelta(seconds=1)
    assert delivery.emails_deliver(email_ids, now=later) == dict.fromkeys(email_ids, "sent")
    assert len(smtp_server.received) == 5  # the written answers were recorded, not resent
    outcomes = set(DeliveryAttempt.objects.values_list("outcome", flat=True))
    assert outcomes == {DeliveryAttempt.Outcome.RECOVERED}
    sent = OutgoingEmail.objects.filter(pk__in=email_ids, recipients__accepted_at__isnull=False)
    assert sent.count() == 5


def test_a_worker_dying_after_the_hand_offs_were_begun_sends_each_email_once(
    smtp_server, company, monkeypatch
):
    email_ids = queued_bulk(company, 5)
    calls = []
    real_hand_off = delivery.hand_off

    def dies_at_the_third(transport, email, message, pending, attempt):
        calls.append(email.pk)
        if len(calls) == 3:
            raise Crash
        return real_hand_off(transport, email, message, pending, attempt)

    monkeypatch.setattr(delivery, "hand_off", dies_at_the_third)
    with pytest.raises(Crash):
        deliver_emails.call(email_ids)
    assert len(smtp_server.received) == 2
    monkeypatch.undo()

    later = OutgoingEmail.objects.get(pk=email_ids[0]).lease_until + dt.timedelta(seconds=1)
    assert delivery.emails_deliver(email_ids, now=later) == dict.fromkeys(email_ids, "sent")
    received = [message.message_id for message in smtp_server.received]
    assert len(received) == len(set(received)) == 5  # two recovered, three sent now
    outcomes = sorted(DeliveryAttempt.objects.values_list("outcome", flat=True))
    assert outcomes.count(DeliveryAttempt.Outcome.RECOVERED) == 2
    assert outcomes.count(DeliveryAttempt.Outcome.INTERRUPTED) == 3


def test_one_email_of_a_batch_alone_is_delivered_the_same_way(smtp_server, company):
    [email_id] = queued_bulk(company, 1)
    assert email_deliver(email_id) == "sent"
    [attempt] = DeliveryAttempt.objects.filter(email_id=email_id)
    assert attempt.outcome == DeliveryAttempt.Outcome.ANSWERED
    assert attempt.answer is not None  # written the moment the server answered


def test_an_email_another_worker_took_over_during_the_batch_is_left_to_it(
    settings, smtp_server, company, monkeypatch
):
    settings.PORTO_MAIL_LEASE = 0  # every email finds the batch's lease run out: renewed
    monkeypatch.setattr(delivery, "hand_off_longest", dt.timedelta)  # no time at all
    monkeypatch.setattr(delivery, "LEASE_MARGIN", dt.timedelta(0))
    first, taken, third = queued_bulk(company, 3)
    real_hand_off = delivery.hand_off

    def another_worker_takes_the_second(transport, email, message, pending, attempt):
        OutgoingEmail.objects.filter(pk=taken).update(lease_token="another-worker")
        return real_hand_off(transport, email, message, pending, attempt)

    monkeypatch.setattr(delivery, "hand_off", another_worker_takes_the_second)
    outcomes = delivery.emails_deliver([first, taken, third])
    assert outcomes == {first: "sent", taken: "lease-lost", third: "sent"}
    assert len(smtp_server.received) == 2
    assert OutgoingEmail.objects.get(pk=taken).lease_token == "another-worker"  # not overwritten

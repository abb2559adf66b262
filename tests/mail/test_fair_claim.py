"""Fair sharing: the delivery task takes the next due emails in turns across companies
(porto.mail.delivery.emails_claim_next), so a large bulk send of one company does not starve
another company's single invoice, and every woken email is still claimed, once."""

import datetime as dt
import secrets
from collections import Counter

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from porto.mail.delivery import emails_claim_next
from porto.mail.models import OutgoingEmail
from porto.mail.requests import bulk_send
from porto.mail.tasks import WAKE_BATCH, deliver_emails, wake
from tests.factories import make_company, make_finalized_in_bulk
from tests.mail.conftest import prestore_pdf

State = OutgoingEmail.State


def queued_bulk(name: str, count: int, *, files: int | None = None) -> list[int]:
    """A company's bulk send of ``count`` invoices, queued (not woken); the first ``files``
    documents (all by default) get a pre-rendered PDF."""
    slug = name.lower().replace(" ", "-")
    company = make_company(name, slug=slug, email=f"office@{slug}.example")
    documents = make_finalized_in_bulk(company, count, clients=3)
    for document in documents[: count if files is None else files]:
        prestore_pdf(document)
    job = bulk_send(company, [d.pk for d in documents])
    return list(job.emails.order_by("pk").values_list("pk", flat=True))


def companies_of(email_ids) -> Counter[str]:
    names = OutgoingEmail.objects.filter(pk__in=list(email_ids)).values_list(
        "company__name", flat=True
    )
    return Counter(names)


def claim(count: int) -> list[int]:
    return [e.pk for e in emails_claim_next(count, secrets.token_hex(16), timezone.now())]


def test_the_task_woken_for_a_large_bulk_send_hands_the_other_companys_invoice_off_second(
    db,
    smtp_server,
):
    large = queued_bulk("Groothandel BV", 2000, files=WAKE_BATCH)
    [small] = queued_bulk("Bakkerij Peeters", 1)
    outcomes = deliver_emails.call(large[:WAKE_BATCH])  # the bulk send's first wake-up
    assert outcomes[str(small)] == "sent"
    assert len(outcomes) == WAKE_BATCH
    assert set(outcomes.values()) == {"sent"}
    assert companies_of(int(pk) for pk in outcomes) == {"Groothandel BV": 24, "Bakkerij Peeters": 1}
    assert len(smtp_server.received) == WAKE_BATCH
    # Handed off in turns: the bulk's longest-due email, then the invoice, then the bulk's rest.
    handed_off = [message.message_id for message in smtp_server.received]
    assert handed_off[1] == OutgoingEmail.objects.get(pk=small).message_id_header
    assert OutgoingEmail.objects.filter(state=State.QUEUED).count() == 2000 - 24


def test_a_claim_takes_each_companys_emails_in_turns(db):
    queued_bulk("Groothandel BV", 10, files=0)
    queued_bulk("Drukkerij NV", 3, files=0)
    queued_bulk("Bakkerij Peeters", 1, files=0)
    first = claim(6)  # turn 1 of all three, turn 2 of the two larger, turn 3 of the largest
    assert companies_of(first) == {"Groothandel BV": 3, "Drukkerij NV": 2, "Bakkerij Peeters": 1}
    second = claim(6)
    assert companies_of(second) == {"Groothandel BV": 5, "Drukkerij NV": 1}
    assert set(first).isdisjoint(second)


def test_within_a_company_the_longest_due_email_goes_first(db):
    emails = queued_bulk("Groothandel BV", 3, files=0)
    now = timezone.now()
    for minutes, pk in zip((1, 30, 5), emails, strict=True):
        OutgoingEmail.objects.filter(pk=pk).update(
            next_attempt_at=now - dt.timedelta(minutes=minutes)
        )
    assert claim(1) == [emails[1]]
    assert claim(1) == [emails[2]]
    assert claim(1) == [emails[0]]


def test_only_due_emails_are_claimed_and_an_expired_lease_is_due(db):
    waiting, held, expired, due = queued_bulk("Groothandel BV", 4, files=0)
    now = timezone.now()
    later = now + dt.timedelta(minutes=5)
    OutgoingEmail.objects.filter(pk=waiting).update(next_attempt_at=later, held="rate")
    OutgoingEmail.objects.filter(pk=held).update(state=State.SENDING, lease_until=later)
    OutgoingEmail.objects.filter(pk=expired).update(
        state=State.SENDING, lease_until=now - dt.timedelta(seconds=1)
    )
    assert sorted(claim(10)) == sorted([expired, due])
    assert claim(10) == []
    claimed = OutgoingEmail.objects.get(pk=due)
    assert (claimed.state, claimed.attempts, len(claimed.lease_token)) == (State.SENDING, 1, 32)


def test_a_task_claims_nothing_when_woken_for_no_email(db):
    queued_bulk("Groothandel BV", 2, files=0)
    assert deliver_emails.call([]) == {}
    assert OutgoingEmail.objects.filter(state=State.QUEUED).count() == 2


def test_the_tasks_of_two_wake_ups_deliver_every_email_once_the_small_company_first(
    db, smtp_server
):
    large = queued_bulk("Groothandel BV", 60)
    [small] = queued_bulk("Bakkerij Peeters", 1)
    DBTaskResult.objects.all().delete()
    wake(large)  # three tasks (25, 25, 10 emails)...
    wake([small])  # ...and one for the small company's invoice, queued behind them
    tasks = list(DBTaskResult.objects.order_by("enqueued_at", "id"))
    assert [len(task.args_kwargs["args"][0]) for task in tasks] == [25, 25, 10, 1]
    served = []
    for task in tasks:  # first in, first out, as a worker runs them
        outcomes = deliver_emails.call(*task.args_kwargs["args"])
        assert len(outcomes) == len(task.args_kwargs["args"][0])  # each task served its count
        served.append(outcomes)
    assert str(small) in served[0]
    assert OutgoingEmail.objects.filter(state=State.SENT).count() == 61
    received = Counter(message.message_id for message in smtp_server.received)
    assert len(received) == 61 and set(received.values()) == {1}

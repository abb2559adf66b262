"""Pixel loads stored by the view and projected by a worker (``porto/mail/feedback/pixel_loads.py``):
each genuine load recorded exactly once whatever the batches, by the same rules as one load
alone, a burst woken once, a lost wake-up caught by the sweeper."""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from freezegun import freeze_time

from porto.mail import periodic
from porto.mail.feedback import pixel_loads
from porto.mail.feedback.opens import pixel_open_record
from porto.mail.feedback.pixel import pixel_token
from porto.mail.feedback.pixel_loads import (
    SWEEP_GRACE,
    pixel_load_store,
    pixel_loads_project,
    pixel_loads_purge,
    pixel_loads_sweep,
    pixel_loads_waiting_before,
)
from porto.mail.models import DeliveryEvent, PixelLoad, Recipient
from porto.mail.status import Status
from tests.tasks import enqueued_tasks, enqueued_tasks_forget, run_queued_tasks

from .test_pixel_view import APPLE_IP, APPLE_PROXY, HOME_IP, THUNDERBIRD, load
from .tracking_helpers import email_with

pytestmark = pytest.mark.django_db

ACCEPTED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # email_with's
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
GMAIL_IP = "66.249.84.10"
PROJECT = "porto.mail.tasks.project_pixel_loads"


def recipients(company, count: int) -> list[Recipient]:
    found = []
    for number in range(count):
        email = email_with(
            company,
            [f"klant{number}@klant.example"],
            message_id=f"p{number}@send.example",
            track_opens=True,
        )
        found.append(email.recipients.get())
    return found


def url(recipient: Recipient) -> str:
    return f"/t/{pixel_token(recipient.pk, recipient.pixel_key)}.gif"


def stored(recipient: Recipient, seconds: int, user_agent=THUNDERBIRD, ip=HOME_IP, key=None):
    return pixel_load_store(
        recipient.pk,
        recipient.pixel_key if key is None else key,
        user_agent=user_agent,
        remote_ip=ip,
        at=ACCEPTED + dt.timedelta(seconds=seconds),
    )


def events_seen() -> list[tuple]:
    return sorted(
        DeliveryEvent.objects.values_list(
            "recipient_id", "at", "machine", "reason", "dedupe_key", "payload"
        ),
        key=repr,
    )


def facts_seen() -> list[tuple]:
    return list(
        Recipient.objects.order_by("pk").values_list(
            "pk", "human_open_at", "machine_open_at", "email__shown_status"
        )
    )


def test_a_genuine_load_is_one_stored_row_with_what_the_view_knew_and_no_event_yet(
    company, django_capture_on_commit_callbacks
):
    [recipient] = recipients(company, 1)
    at = ACCEPTED + dt.timedelta(minutes=3)
    load(
        Client(),
        url(recipient),
        user_agent=THUNDERBIRD,
        ip=HOME_IP,
        at=at,
        capture=django_capture_on_commit_callbacks,
    )
    row = PixelLoad.objects.get()
    stored_values = (row.recipient_id, row.key, row.user_agent, row.remote_ip, row.loaded_at)
    assert stored_values == (recipient.pk, recipient.pixel_key, THUNDERBIRD, HOME_IP, at)
    assert row.processed_at is None and row.error == ""
    assert not DeliveryEvent.objects.exists()


def test_the_stored_row_is_the_one_the_orm_stores(company):
    [recipient] = recipients(company, 1)
    with freeze_time(ACCEPTED):
        raw = stored(recipient, 60, user_agent="Ünïcode agent " + "x" * 600, ip="2001:db8::1")
        orm = PixelLoad.objects.create(
            recipient_id=recipient.pk,
            key=recipient.pixel_key,
            user_agent=("Ünïcode agent " + "x" * 600)[:500],
            remote_ip="2001:db8::1",
            loaded_at=ACCEPTED + dt.timedelta(seconds=60),
        )
    fields = [f.name for f in PixelLoad._meta.concrete_fields if not f.primary_key]
    [raw_values, orm_values] = (
        PixelLoad.objects.filter(pk=pk).values_list(*fields).get() for pk in (raw.pk, orm.pk)
    )
    assert raw_values == orm_values
    assert raw.pk < orm.pk


def test_the_waiting_question_answers_as_the_queryset_does(company):
    [recipient] = recipients(company, 1)
    rows = [stored(recipient, seconds) for seconds in (0, 10, 20, 30)]
    PixelLoad.objects.filter(pk=rows[1].pk).update(processed_at=ACCEPTED)
    for row in rows:
        for seconds in (-1, 0, 5, 10, 25, 40):
            now = ACCEPTED + dt.timedelta(seconds=seconds)
            expected = PixelLoad.objects.filter(
                processed_at=None, pk__lt=row.pk, loaded_at__gte=now
            ).exists()
            assert pixel_loads_waiting_before(row.pk, now=now, grace=0) == expected, (row, seconds)


def test_a_burst_of_loads_makes_one_wake_up_that_records_them_all(
    company, django_capture_on_commit_callbacks
):
    people = recipients(company, 3)
    for number in range(12):
        load(
            Client(),
            url(people[number % 3]),
            user_agent=THUNDERBIRD,
            ip=HOME_IP,
            at=ACCEPTED + dt.timedelta(minutes=5, seconds=number),
            capture=django_capture_on_commit_callbacks,
        )
    assert len(enqueued_tasks(PROJECT)) == 1

    assert run_queued_tasks() == 1

    assert not PixelLoad.objects.filter(processed_at=None).exists()
    assert DeliveryEvent.objects.filter(source="pixel").count() == 12
    for number, person in enumerate(people):
        person.refresh_from_db()
        assert person.human_open_at == ACCEPTED + dt.timedelta(minutes=5, seconds=number)
        assert person.status() == Status.READ


def test_a_load_after_the_projection_wakes_a_task_again(
    company, django_capture_on_commit_callbacks
):
    [recipient] = recipients(company, 1)
    for minutes in (5, 6):
        load(
            Client(),
            url(recipient),
            user_agent=THUNDERBIRD,
            ip=HOME_IP,
            at=ACCEPTED + dt.timedelta(minutes=minutes),
            capture=django_capture_on_commit_callbacks,
        )
        assert run_queued_tasks() == 1
    assert DeliveryEvent.objects.filter(source="pixel").count() == 2


def test_a_lost_wake_up_is_projected_by_the_sweeper_once_its_grace_is_over(company):
    [recipient] = recipients(company, 1)
    at = ACCEPTED + dt.timedelta(minutes=5)
    with freeze_time(at):
        stored(recipient, 300)  # stored, its wake-up never enqueued (a lost enqueue)
    enqueued_tasks_forget()
    from porto.mail.management.commands import mail_sweeper  # noqa: F401 - registers the jobs

    [job] = [job for job in periodic.jobs() if job.name == "pixel loads"]

    with freeze_time(at + dt.timedelta(seconds=SWEEP_GRACE - 1)):
        assert job.run() == 0
    assert not DeliveryEvent.objects.exists()

    with freeze_time(at + dt.timedelta(seconds=SWEEP_GRACE + 1)):
        assert job.run() == 1
    recipient.refresh_from_db()
    assert recipient.human_open_at == at
    assert not PixelLoad.objects.filter(processed_at=None).exists()
    assert pixel_loads_sweep(at + dt.timedelta(hours=1)) == 0


def test_loads_projected_long_ago_are_purged_failed_and_waiting_ones_kept(company, settings):
    settings.PORTO_TASK_RESULTS_KEEP_DAYS = 7
    [recipient] = recipients(company, 1)
    now = ACCEPTED + dt.timedelta(days=30)
    old, recent, failed, waiting = (stored(recipient, seconds) for seconds in (1, 2, 3, 4))
    PixelLoad.objects.filter(pk__in=[old.pk, failed.pk]).update(
        processed_at=now - dt.timedelta(days=8)
    )
    PixelLoad.objects.filter(pk=recent.pk).update(processed_at=now - dt.timedelta(days=6))
    PixelLoad.objects.filter(pk=failed.pk).update(error="this load breaks")

    assert pixel_loads_purge(now) == 1

    kept = set(PixelLoad.objects.values_list("pk", flat=True))
    assert kept == {recent.pk, failed.pk, waiting.pk}


def loads_of_every_kind(people: list[Recipient]) -> int:
    """Loads of several people, out of time order, some the same moment twice (one open),
    forged keys and an unknown recipient (no open); how many distinct opens they make."""
    for person in people:
        stored(person, 3600)
        stored(person, 2, user_agent=APPLE_PROXY, ip=APPLE_IP)  # a prefetch: machine
        stored(person, 90, user_agent=GMAIL_PROXY, ip=GMAIL_IP)  # a person through Gmail
        stored(person, 90, user_agent=GMAIL_PROXY, ip=GMAIL_IP)  # the same load again
        stored(person, 600, user_agent="python-requests/2.32")  # a script: machine
        stored(person, 700, key="A" * 22)  # a signed token with a key not the recipient's
    pixel_load_store(10**12, "B" * 22, user_agent=THUNDERBIRD, remote_ip=HOME_IP, at=ACCEPTED)
    return 4 * len(people)


def recorded_alone() -> tuple[list[tuple], list[tuple]]:
    """What recording each stored load alone, in the order stored, would leave (undone)."""
    with transaction.atomic():
        for row in PixelLoad.objects.order_by("pk"):
            pixel_open_record(
                row.recipient_id,
                row.key,
                user_agent=row.user_agent,
                remote_ip=row.remote_ip,
                at=row.loaded_at,
            )
        alone = events_seen(), facts_seen()
        transaction.set_rollback(True)
    assert not DeliveryEvent.objects.exists()
    return alone


def test_in_batches_the_loads_record_what_each_load_alone_records(company):
    people = recipients(company, 5)
    opens = loads_of_every_kind(people)
    alone = recorded_alone()

    projection = pixel_loads_project(size=4)

    assert projection.loads == PixelLoad.objects.count()
    assert projection.recorded == opens
    assert (events_seen(), facts_seen()) == alone
    assert len(alone[0]) == opens
    assert {status for *_, status in alone[1]} == {Status.READ.value}
    first = people[0]
    first.refresh_from_db()
    assert first.human_open_at == ACCEPTED + dt.timedelta(seconds=90)  # the first, not the last
    assert first.machine_open_at == ACCEPTED + dt.timedelta(seconds=2)


def test_in_a_batch_a_load_is_timed_from_the_delivery_an_earlier_load_proved(company):
    """Apple's prefetch at 100 s proves delivery: a mail client 5 s later is too soon for a
    person, in one batch as one by one."""
    [person] = recipients(company, 1)
    stored(person, 100, user_agent=APPLE_PROXY, ip=APPLE_IP)
    stored(person, 105)
    alone = recorded_alone()

    assert pixel_loads_project().recorded == 2

    assert (events_seen(), facts_seen()) == alone
    person.refresh_from_db()
    assert person.human_open_at is None
    assert person.machine_open_at == ACCEPTED + dt.timedelta(seconds=100)


def test_projecting_again_records_nothing_twice(company):
    people = recipients(company, 3)
    opens = loads_of_every_kind(people)
    assert pixel_loads_project(size=5).recorded == opens
    PixelLoad.objects.update(processed_at=None)  # as if every batch's mark were lost
    assert pixel_loads_project(size=3).recorded == 0
    assert DeliveryEvent.objects.count() == opens
    assert set(PixelLoad.objects.values_list("error", flat=True)) == {""}


def test_a_batch_that_fails_records_its_loads_one_at_a_time(company, monkeypatch):
    people = recipients(company, 3)
    opens = loads_of_every_kind(people)

    def refused(items):
        raise RuntimeError("the batch insert broke")

    monkeypatch.setattr(pixel_loads, "events_record", refused)
    assert pixel_loads_project(size=50).recorded == opens
    assert DeliveryEvent.objects.count() == opens
    assert not PixelLoad.objects.filter(processed_at=None).exists()


def test_a_load_that_fails_alone_is_marked_failed_and_kept_the_others_recorded(
    company, monkeypatch
):
    good, bad = recipients(company, 2)
    stored(good, 300)
    broken = stored(bad, 300)

    def refused(items):
        raise RuntimeError("the batch insert broke")

    def record_or_break(recipient_id, *args, **kwargs):
        if recipient_id == bad.pk:
            raise ValueError("this load breaks")
        return pixel_open_record(recipient_id, *args, **kwargs)

    monkeypatch.setattr(pixel_loads, "events_record", refused)
    monkeypatch.setattr(pixel_loads, "pixel_open_record", record_or_break)
    assert pixel_loads_project().recorded == 1
    broken.refresh_from_db()
    assert broken.processed_at is not None and "this load breaks" in broken.error
    assert list(DeliveryEvent.objects.values_list("recipient_id", flat=True)) == [good.pk]


@pytest.mark.postgres
@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.django_db(transaction=True)
def test_four_workers_at_once_record_each_load_exactly_once(company):
    from .test_projection_workers import run_together

    people = recipients(company, 30)
    # Delivered before every load: each load's kind does not depend on which worker first
    # records a later one (an open proves delivery, and moves it earlier only).
    Recipient.objects.update(delivered_at=ACCEPTED)
    for person in people:
        for seconds in (900, 60, 300, 60, 1200):  # 60 twice: one open
            stored(person, seconds)
    results = run_together([lambda: pixel_loads_project(size=7, rounds=1000)] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.loads for r in results) == 5 * len(people)  # type: ignore[union-attr]
    assert sum(1 for r in results if r.loads) > 1  # type: ignore[union-attr]
    assert sum(r.recorded for r in results) == 4 * len(people)  # type: ignore[union-attr]
    assert set(PixelLoad.objects.values_list("error", flat=True)) == {""}
    assert not PixelLoad.objects.filter(processed_at=None).exists()
    assert DeliveryEvent.objects.filter(source="pixel").count() == 4 * len(people)
    first_opens = set(Recipient.objects.values_list("human_open_at", flat=True))
    assert first_opens == {ACCEPTED + dt.timedelta(seconds=60)}


def test_the_gif_is_answered_even_when_the_database_refuses_the_load(
    company, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import DatabaseError

    from porto.mail import tracking_views

    def refused(*args, **kwargs):
        raise DatabaseError("the database is gone")

    monkeypatch.setattr(tracking_views, "pixel_load_store", refused)
    [recipient] = recipients(company, 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = Client().get(url(recipient), HTTP_USER_AGENT=THUNDERBIRD)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert callbacks == []
    assert not PixelLoad.objects.exists()

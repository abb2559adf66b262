"""Periodic jobs (porto.mail.periodic): once per period, aligned periods, failures kept on the
job's row and retried next period, every app's jobs registered."""

import datetime

import pytest
from django.core.management import call_command

from porto.mail import periodic
from porto.mail.models import PeriodicJob

T0 = datetime.datetime(2026, 12, 1, 9, 0, 0, tzinfo=datetime.UTC)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture
def only_jobs(monkeypatch):
    """An empty registry for the test; jobs added with ``add``. The real jobs register first
    (importing the command registers mail's), so the registry put back afterwards has them."""
    from porto.mail.management.commands import mail_sweeper  # noqa: F401 - registers mail's

    monkeypatch.setattr(periodic, "_jobs", {})
    runs: dict[str, list[datetime.datetime]] = {}

    def add(name: str, every: float, fail: bool = False):
        runs[name] = []

        def run():
            runs[name].append(periodic.timezone.now())
            if fail:
                raise RuntimeError(f"{name} broke")
            return 1

        periodic.job_register(name, lambda: every, run)

    return add, runs


def test_period_start_is_aligned_on_the_epoch_whatever_the_moment_inside_the_period():
    assert periodic.period_start(at(0), 15) == periodic.period_start(at(14.9), 15)
    assert periodic.period_start(at(15), 15) == at(15)
    assert periodic.period_start(at(29), 15) == at(15)


def test_two_schedulers_looking_every_second_run_a_job_once_per_period(db, only_jobs):
    add, _runs = only_jobs
    add("sweep", every=15)
    claims = []
    for second in range(60):  # four periods, two schedulers each looking every second
        for _scheduler in ("a", "b"):
            claims.append(periodic.round_run(at(second)))
    ran = [done for done in claims if "sweep" in done]
    assert len(ran) == 4
    assert PeriodicJob.objects.get(name="sweep").runs == 4


def test_a_job_with_a_longer_period_runs_less_often_than_the_sweep(db, only_jobs):
    add, runs = only_jobs
    add("sweep", every=15)
    add("poll", every=60)
    for second in range(0, 120, 1):
        periodic.round_run(at(second))
    assert len(runs["sweep"]) == 8
    assert len(runs["poll"]) == 2


def test_a_failing_job_does_not_stop_the_others_keeps_its_error_and_runs_next_period(
    db, only_jobs, caplog
):
    add, _runs = only_jobs
    add("broken", every=15, fail=True)
    add("fine", every=15)
    first = periodic.round_run(at(0))
    assert first == {"broken": None, "fine": 1}
    assert "periodic job 'broken' failed" in caplog.text
    assert PeriodicJob.objects.get(name="broken").last_error == "RuntimeError: broken broke"
    assert periodic.round_run(at(5)) == {}  # counted as run for this period
    assert periodic.round_run(at(15)) == {"broken": None, "fine": 1}


def test_a_scheduler_that_died_while_running_a_job_leaves_the_next_period_to_run_normally(
    db, only_jobs
):
    add, _runs = only_jobs
    add("sweep", every=15)
    job = periodic.jobs()[0]
    assert periodic.job_claim(job, at(1))  # claimed, then the scheduler is killed: no finish
    assert periodic.round_run(at(2)) == {}
    assert periodic.round_run(at(16)) == {"sweep": 1}
    row = PeriodicJob.objects.get(name="sweep")
    assert row.runs == 2 and row.last_error == ""


def test_a_shortened_period_realigns_instead_of_waiting_out_the_old_one(db, only_jobs):
    add, _runs = only_jobs
    add("poll", every=3600)
    assert periodic.round_run(at(0)) == {"poll": 1}
    add("poll", every=60)  # the setting was lowered
    assert periodic.round_run(at(61)) == {"poll": 1}


def test_a_slow_job_does_not_make_the_next_claim_of_its_round_run_a_job_twice(
    db, only_jobs, monkeypatch
):
    """A round runs its jobs one after the other: a job that takes longer than a period must
    not leave the next job's claim with the round's old clock (it would take a row another
    scheduler already moved to the next period for a shortened period, and run it again)."""
    add, runs = only_jobs
    clock = {"now": at(0)}
    monkeypatch.setattr(periodic.timezone, "now", lambda: clock["now"])

    def slow():
        clock["now"] = at(15.5)  # meanwhile, another scheduler's round in the next period
        assert periodic.round_run() == {"sweep": 1}
        clock["now"] = at(16)
        return 1

    periodic.job_register("slow", lambda: 3600, slow)
    add("sweep", every=15)
    assert periodic.round_run() == {"slow": 1}  # this scheduler's round, started at 0 s
    assert len(runs["sweep"]) == 1
    assert periodic.round_run() == {}


def test_once_runs_every_registered_job_now_whatever_its_schedule(db, only_jobs):
    add, runs = only_jobs
    add("sweep", every=15)
    add("daily", every=86400)
    call_command("mail_sweeper", "--once", verbosity=0)
    call_command("mail_sweeper", "--once", verbosity=0)
    assert len(runs["sweep"]) == 2 and len(runs["daily"]) == 2


def test_every_app_registers_its_periodic_jobs():
    from porto.mail.management.commands import mail_sweeper  # noqa: F401 - registers mail's

    names = {job.name for job in periodic.jobs()}
    assert {
        "outbox",
        "provider webhooks",
        "pixel loads",
        "refresh poll",
        "outbound webhooks",
        "API idempotency keys purge",
    } <= names

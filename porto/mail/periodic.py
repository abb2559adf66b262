"""Periodic jobs, each run exactly once per period however many schedulers run.

A job is a name, a period (read from settings at each round) and a callable. Apps register
their own jobs (``job_register``) when they load, so the mail app never imports the apps above
it. Every scheduler (``manage.py mail_sweeper``, one per machine or more) runs ``round_run``
every second or so; a job runs only where its claim wins.

The claim is one conditional UPDATE of the job's row: it moves ``next_run_at`` from the start
of the current period to the start of the next one, and only the scheduler whose UPDATE
changed the row runs the job (the database serialises the two UPDATEs; the loser matches no
row). Periods are aligned on the epoch, so schedulers started at different moments agree on
them. A job that fails, or whose scheduler dies while running it, counts as run for that
period: the next period runs it again. It needs no lock service: SQLite and PostgreSQL alike.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from porto.mail.models import PeriodicJob

logger = logging.getLogger(__name__)

EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Job:
    name: str
    every: Callable[[], float]  # seconds; a callable so a changed setting applies at once
    run: Callable[[], object]  # what it did, for the log (a count, usually)


_jobs: dict[str, Job] = {}


def job_register(name: str, every: Callable[[], float], run: Callable[[], object]) -> None:
    """Add a job (registering the same name again replaces it)."""
    _jobs[name] = Job(name=name, every=every, run=run)


def jobs() -> list[Job]:
    return list(_jobs.values())


def period_start(now: datetime.datetime, every: float) -> datetime.datetime:
    """The start of the period ``now`` falls in, aligned on the epoch."""
    seconds = every * ((now - EPOCH).total_seconds() // every)
    return EPOCH + datetime.timedelta(seconds=seconds)


def job_claim(job: Job, now: datetime.datetime) -> bool:
    """True for exactly one caller per period of ``job``."""
    every = job.every()
    start = period_start(now, every)
    job_row_ensure(job.name, start)
    following = start + datetime.timedelta(seconds=every)
    # A row further ahead than one period: the period was shortened since; realign.
    due = Q(next_run_at__lte=now) | Q(next_run_at__gt=following)
    return bool(
        PeriodicJob.objects.filter(due, name=job.name).update(
            next_run_at=following, last_started_at=now, runs=F("runs") + 1
        )
    )


def job_row_ensure(name: str, start: datetime.datetime) -> None:
    if PeriodicJob.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic():
            PeriodicJob.objects.create(name=name, next_run_at=start)
    except IntegrityError:  # another scheduler created it a moment ago
        pass


def job_run(job: Job, now: datetime.datetime) -> object:
    """Run a claimed job; a failure is logged and kept on its row, never raised."""
    try:
        outcome = job.run()
    except Exception as error:
        logger.exception("The periodic job %r failed; it runs again next period", job.name)
        job_finished(job.name, f"{type(error).__name__}: {error}"[:500])
        return None
    job_finished(job.name, "")
    return outcome


def job_finished(name: str, error: str) -> None:
    PeriodicJob.objects.filter(name=name).update(last_finished_at=timezone.now(), last_error=error)


def round_run(now: datetime.datetime | None = None, *, force: bool = False) -> dict[str, object]:
    """Run every job whose period has come and whose claim this scheduler won (``force``:
    every job, now, claims ignored — for an operator's ``--once``). What each job did, by
    name."""
    done = {}
    for job in jobs():
        # Each claim reads the clock: the jobs before it may have taken longer than a period.
        moment = now or timezone.now()
        if force or job_claim(job, moment):
            done[job.name] = job_run(job, moment)
    return done

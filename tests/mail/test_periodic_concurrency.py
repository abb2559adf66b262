"""Several schedulers at once on PostgreSQL: each periodic job still runs once per period."""

import datetime
import threading

import pytest
from django.db import connections

from porto.mail import periodic

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.usefixtures("postgresql_only"),
    pytest.mark.django_db(transaction=True),
]

SCHEDULERS = 4
PERIODS = 10
LOOKS_PER_PERIOD = 5
T0 = datetime.datetime(2026, 12, 1, 9, 0, 0, tzinfo=datetime.UTC)


def test_four_schedulers_racing_run_each_job_exactly_once_per_period(monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    ran: list[tuple[str, datetime.datetime]] = []
    lock = threading.Lock()
    clock = threading.local()

    def job(name: str):
        def run():
            with lock:
                ran.append((name, periodic.period_start(clock.now, 60)))
            return 1

        return run

    periodic.job_register("sweep", lambda: 60, job("sweep"))
    periodic.job_register("poll", lambda: 60, job("poll"))
    barrier = threading.Barrier(SCHEDULERS)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            for look in range(PERIODS * LOOKS_PER_PERIOD):
                clock.now = T0 + datetime.timedelta(seconds=look * 60 / LOOKS_PER_PERIOD)
                barrier.wait(timeout=30)  # every scheduler looks at the same moment
                periodic.round_run(clock.now)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(SCHEDULERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for name in ("sweep", "poll"):
        periods = [start for job_name, start in ran if job_name == name]
        assert len(periods) == PERIODS, f"{name} ran {len(periods)} times in {PERIODS} periods"
        assert len(set(periods)) == PERIODS

"""The task queue as the tests see it, on the backend the pass runs (``PORTO_TASK_BACKEND``):
what was enqueued, and a worker that runs it in this process.

The SQLite and PostgreSQL passes run the database backend; the RQ pass (``make test-rq``) runs
the same tests on RQ with a real Redis. A test that enqueues reads the queue through
``enqueued_tasks`` and runs it with ``run_queued_tasks``, never through one backend's models."""

import contextlib
import os
import signal
from collections.abc import Iterator

from django.conf import settings
from django_tasks import TaskResult, task_backends

from tests.services import redis_flush

MAX_BURSTS = 100


def pass_backend() -> str:
    """The task backend of this pass: ``db`` unless the pass says ``rq``."""
    return os.environ.get("PORTO_TASK_BACKEND", "db")


def on_rq() -> bool:
    """Does the default backend (as the test configured it) queue in Redis?"""
    return type(task_backends["default"]).__module__.startswith("django_tasks_rq")


def enqueued_tasks(task_path: str = "") -> list[TaskResult]:
    """Every task enqueued during this test (of ``task_path`` if given), whatever became of it,
    oldest first."""
    results = rq_task_results() if on_rq() else db_task_results()
    return [r for r in results if task_path in ("", r.task.module_path)]


def enqueued_tasks_forget() -> None:
    """Forget what was enqueued so far: the test looks only at what comes next."""
    if on_rq():
        rq_redis_flush()
    else:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()


def run_queued_tasks() -> int:
    """Run what a worker would run now (deferred tasks once due), in this process, until
    nothing is left; a task that raises fails the test. How many tasks ran."""
    return run_rq_jobs() if on_rq() else run_db_rows()


# --- The database backend -------------------------------------------------------------------


def db_task_results() -> list[TaskResult]:
    from django_tasks_db.models import DBTaskResult

    return [row.task_result for row in DBTaskResult.objects.order_by("enqueued_at")]


def run_db_rows() -> int:
    """The stored tasks with their stored arguments: ``db_worker`` itself closes the
    connection between tasks, which would end the test's transaction on PostgreSQL."""
    from django_tasks_db.models import DBTaskResult

    ran = 0
    for _ in range(MAX_BURSTS):
        rows = list(DBTaskResult.objects.ready())
        if not rows:
            return ran
        for row in rows:
            row.claim("test-worker")
            arguments = row.args_kwargs
            row.set_successful(row.task.call(*arguments["args"], **arguments["kwargs"]))
            ran += 1
    raise AssertionError("Tasks keep enqueuing tasks")


# --- RQ on Redis ----------------------------------------------------------------------------


def rq_queue():
    import django_rq
    from django_tasks_rq.backend import Job

    return django_rq.get_queue("default", job_class=Job)


def rq_task_results() -> list[TaskResult]:
    from rq.registry import (
        DeferredJobRegistry,
        FailedJobRegistry,
        FinishedJobRegistry,
        ScheduledJobRegistry,
        StartedJobRegistry,
    )

    queue = rq_queue()
    registries = (
        ScheduledJobRegistry,
        StartedJobRegistry,
        FinishedJobRegistry,
        FailedJobRegistry,
        DeferredJobRegistry,
    )
    job_ids = set(queue.get_job_ids())
    for registry in registries:
        job_ids.update(registry(queue=queue).get_job_ids())
    jobs = [job for job in queue.job_class.fetch_many(list(job_ids), queue.connection) if job]
    jobs.sort(key=lambda job: job.created_at)
    return [job.task_result for job in jobs]


def run_rq_jobs() -> int:
    """Bursts of a real RQ worker (``SimpleWorker``: no fork, so the jobs see this test's
    database transaction) with its scheduler, which moves due deferred jobs to the queue."""
    queue = rq_queue()
    ran = 0
    for _ in range(MAX_BURSTS):
        worker = rq_burst_worker_class()([queue], connection=queue.connection)
        with signal_handlers_kept():
            worker.work(burst=True, with_scheduler=True, logging_level="WARNING", max_jobs=1000)
        for job in worker.jobs_run:
            if job.get_status() != "finished":
                raise AssertionError(failure_of(job))
        if not worker.jobs_run:
            return ran
        ran += len(worker.jobs_run)
    raise AssertionError("Tasks keep enqueuing tasks")


def rq_burst_worker_class():
    from django_tasks_rq.backend import Job
    from rq.worker import SimpleWorker

    class BurstWorker(SimpleWorker):
        """Keeps the jobs it ran, to count them and to report a failed one."""

        job_class = Job

        def __init__(self, *args, **kwargs):
            super().__init__(*args, job_class=Job, **kwargs)
            self.jobs_run: list = []

        def execute_job(self, job, queue):
            self.jobs_run.append(job)
            super().execute_job(job, queue)

    return BurstWorker


def failure_of(job) -> str:
    result = job.latest_result()
    error = result.exc_string if result is not None else f"status {job.get_status()}"
    return f"Task {job.func_name}{tuple(job.args)} failed on RQ:\n{error}"


@contextlib.contextmanager
def signal_handlers_kept() -> Iterator[None]:
    """An RQ worker takes SIGINT and SIGTERM for its warm shutdown; give them back to pytest."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


def rq_redis_flush() -> None:
    """Empty the RQ pass's Redis database: every test starts with no job, as on the database
    backend, whose task rows go with the test's transaction."""
    redis_flush(settings.RQ_QUEUES["default"]["URL"])

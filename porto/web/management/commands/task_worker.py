"""`manage.py task_worker`: the worker of the configured task backend (PORTO_TASK_BACKEND),
so the Procfile, the containers and `manage.py serve` name one command whatever the backend.

- db: django-tasks-db's ``db_worker`` (tasks are rows of the same database).
- rq: django-rq's ``rqworker --with-scheduler`` on the ``default`` queue: the scheduler runs
  deferred tasks (a retry's wake-up at its time, docs/outbox.md)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def worker_arguments(backend: str, *, interval: float = 1.0) -> list[str]:
    """The management command (name and options) that works the given backend's queue."""
    if backend == "db":
        return ["db_worker", "--interval", f"{interval:g}", "--no-reload"]
    if backend == "rq":
        return ["rqworker", "--with-scheduler", "default"]
    raise CommandError(
        f"PORTO_TASK_BACKEND={backend!r} has no worker: tasks run in the web process. "
        "Use 'db' or 'rq' for a worker."
    )


class Command(BaseCommand):
    help = "Run the task worker of the configured backend (db_worker or rqworker) until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="db backend: seconds between polls"
        )

    def handle(self, *args, interval: float, **options) -> None:
        name, *arguments = worker_arguments(settings.PORTO_TASK_BACKEND, interval=interval)
        call_command(name, *arguments)

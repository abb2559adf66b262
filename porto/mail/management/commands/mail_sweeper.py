"""The scheduler of the periodic jobs (``porto.mail.periodic``): every second or so it runs
each job whose period has come, exactly once per period across every scheduler running, on
any number of machines. `make run` starts one beside the task worker.

The mail app's jobs are registered here: wake outbox emails whose retry is due or whose worker
died (lease expired), project provider webhooks and pixel loads whose task was lost (every
PORTO_MAIL_SWEEP_INTERVAL seconds), queue Update status for recipients whose next poll time
has come, IMAP bounce scans included (every PORTO_REFRESH_POLL_INTERVAL seconds), and clean the
task results (tasks a killed worker left RUNNING marked failed, old results deleted) and the
pixel loads projected long ago (every minute). Other apps register theirs when they load (outbound webhook retries, the purge of
API idempotency keys).

It never stops on bad data: each stored row is projected under ``porto.mail.guard`` (a failing
row is marked failed), and a job that fails as a whole is logged and runs again next period."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from porto.mail.feedback.pixel_loads import pixel_loads_purge, pixel_loads_sweep
from porto.mail.feedback.tasks import refresh_poll_enqueue
from porto.mail.feedback.webhooks import webhooks_sweep
from porto.mail.operations import task_results_clean
from porto.mail.periodic import job_register, round_run
from porto.mail.tasks import outbox_sweep

LONGEST_TICK = 1.0  # seconds between two looks at the schedule
TASK_RESULTS_EVERY = 60.0  # seconds between two cleanups of the task results


def sweep_interval() -> float:
    return settings.PORTO_MAIL_SWEEP_INTERVAL


# Lambdas, not the functions themselves: each round calls what the module holds then.
job_register("outbox", sweep_interval, lambda: outbox_sweep())
job_register("provider webhooks", sweep_interval, lambda: webhooks_sweep())
job_register("pixel loads", sweep_interval, lambda: pixel_loads_sweep())
job_register(
    "refresh poll", lambda: settings.PORTO_REFRESH_POLL_INTERVAL, lambda: refresh_poll_enqueue()
)
job_register("task results", lambda: TASK_RESULTS_EVERY, lambda: task_results_clean(timezone.now()))
job_register("pixel loads purge", lambda: TASK_RESULTS_EVERY, lambda: pixel_loads_purge())


class Command(BaseCommand):
    help = "Run the periodic jobs (outbox sweep, webhook sweeps, status polls), once per period."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run every job now, whatever its schedule, and exit (for operators and tests).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="The sweep period in seconds (PORTO_MAIL_SWEEP_INTERVAL by default).",
        )

    def handle(self, *args, once: bool, interval: float | None, **options) -> None:
        if interval is not None:
            settings.PORTO_MAIL_SWEEP_INTERVAL = interval
        if once:
            self.report(round_run(force=True), options["verbosity"])
            return
        tick = min(LONGEST_TICK, settings.PORTO_MAIL_SWEEP_INTERVAL)
        while True:
            self.report(round_run(), options["verbosity"])
            time.sleep(tick)
            close_old_connections()  # like a request: drop a connection the server closed

    def report(self, done: dict[str, object], verbosity: int) -> None:
        if verbosity < 1:
            return
        for name, outcome in done.items():
            if outcome:
                self.stdout.write(f"{name}: {outcome}")

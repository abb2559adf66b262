"""Wake outbox emails whose retry is due or whose worker died (lease expired), every few
seconds, project provider webhooks whose task was lost, and queue Update status for recipients
whose next poll time has come (every PORTO_REFRESH_POLL_INTERVAL seconds). `make run` starts it
beside the task worker.

It never stops on bad data: each stored row is projected under ``porto.mail.guard`` (a failing
row is marked failed), and a step that fails as a whole is logged and tried again next round."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.dispatch import Signal

from porto.mail.feedback.tasks import refresh_poll_enqueue
from porto.mail.feedback.webhooks import webhooks_sweep
from porto.mail.tasks import outbox_sweep

logger = logging.getLogger(__name__)

# Each round also sweeps the apps above mail (outbound webhooks): they connect a receiver
# returning how many rows they woke, so mail never imports them.
sweeper_round = Signal()


def sweep_step(name: str, step: Callable[[], int]) -> int:
    """Run one step of a round; a failure is logged and counts as nothing done."""
    try:
        return step()
    except Exception:
        logger.exception("The sweeper's %s step failed; trying again next round", name)
        return 0


def sweep_other_apps() -> int:
    return sum(int(woken) for _, woken in sweeper_round.send(Command) if woken)


class Command(BaseCommand):
    help = "Re-queue emails whose retry is due or whose lease expired (crashed worker)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Sweep once and exit.")
        parser.add_argument(
            "--interval", type=float, default=settings.PORTO_MAIL_SWEEP_INTERVAL, help="Seconds."
        )

    def handle(self, *args, once: bool, interval: float, **options) -> None:
        polled_at = 0.0
        while True:
            woken = sweep_step("outbox", outbox_sweep)
            sweep_step("webhooks", webhooks_sweep)  # webhooks whose projection task was lost
            sweep_step("other apps", sweep_other_apps)
            if woken and options["verbosity"] > 0:
                self.stdout.write(f"Woke {woken} email(s).")
            if time.monotonic() - polled_at >= settings.PORTO_REFRESH_POLL_INTERVAL:
                polled_at = time.monotonic()
                queued = sweep_step("refresh poll", refresh_poll_enqueue)
                if queued and options["verbosity"] > 0:
                    self.stdout.write(f"Queued Update status for {queued} email(s).")
            if once:
                return
            time.sleep(interval)
            close_old_connections()  # like a request: drop a connection the server closed

"""Wake outbox emails whose retry is due or whose worker died (lease expired), every few
seconds, and queue Update status for recipients whose next poll time has come (every
PORTO_REFRESH_POLL_INTERVAL seconds). `make run` starts it beside the task worker."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from porto.mail.delivery import outbox_sweep
from porto.mail.feedback.refresh.services import refresh_poll
from porto.mail.feedback.webhooks import webhooks_sweep


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
            woken = outbox_sweep()
            webhooks_sweep()  # provider webhooks whose projection task was lost
            if woken and options["verbosity"] > 0:
                self.stdout.write(f"Woke {woken} email(s).")
            if time.monotonic() - polled_at >= settings.PORTO_REFRESH_POLL_INTERVAL:
                polled_at = time.monotonic()
                queued = refresh_poll()
                if queued and options["verbosity"] > 0:
                    self.stdout.write(f"Queued Update status for {queued} email(s).")
            if once:
                return
            time.sleep(interval)
            close_old_connections()  # like a request: drop a connection the server closed

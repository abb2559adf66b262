"""Ask providers about emails still without a final fact, at about +15 min, +2 h, +24 h, +3 d
and +7 d after hand-off (inside each provider's window). Runs beside the sweeper."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from porto.mail.feedback.refresh.services import refresh_poll


class Command(BaseCommand):
    help = "Queue Update status for recipients whose next poll time has come."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Poll once and exit.")
        parser.add_argument(
            "--interval", type=float, default=settings.PORTO_REFRESH_POLL_INTERVAL, help="Seconds."
        )

    def handle(self, *args, once: bool, interval: float, **options) -> None:
        while True:
            close_old_connections()
            queued = refresh_poll()
            if queued and options["verbosity"] > 0:
                self.stdout.write(f"Queued Update status for {queued} email(s).")
            if once:
                return
            time.sleep(interval)

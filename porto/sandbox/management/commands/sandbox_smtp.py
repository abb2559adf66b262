"""Run the sandbox mail server in the foreground until Ctrl-C (SIGINT) or SIGTERM."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from porto.sandbox.smtp_server import SandboxServer


class Command(BaseCommand):
    help = "Run the sandbox SMTP server: it stores every accepted email in the sandbox inbox."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=settings.PORTO_SANDBOX_SMTP_HOST)
        parser.add_argument(
            "--port",
            type=int,
            default=settings.PORTO_SANDBOX_SMTP_PORT,
            help="0 picks a free port (printed at start).",
        )

    def handle(self, *args, host: str, port: int, **options) -> None:
        # aiosmtpd logs every connection at INFO; ours says what was accepted and stored.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        with SandboxServer.from_settings(host, port) as server:
            self.stdout.write(f"Sandbox SMTP server listening on {server.host}:{server.port}")
            self.stdout.flush()
            while not stopping.wait(0.5):
                pass
        self.stdout.write("Sandbox SMTP server stopped.")

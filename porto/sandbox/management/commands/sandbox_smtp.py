"""Run the sandbox mail server in the foreground until Ctrl-C (SIGINT) or SIGTERM."""

import argparse
import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from porto.sandbox.smtp_server import SandboxServer


def port_number(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0 to 65535).")
    return int(value)


class Command(BaseCommand):
    help = "Run the sandbox SMTP server: it stores every accepted email in the sandbox inbox."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=settings.PORTO_SANDBOX_SMTP_HOST)
        parser.add_argument(
            "--port",
            type=port_number,
            default=settings.PORTO_SANDBOX_SMTP_PORT,
            help="0 picks a free port (printed at start).",
        )

    def handle(self, *args, host: str, port: int, **options) -> None:
        # aiosmtpd logs every connection at INFO; ours says what was accepted and stored.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        server = SandboxServer.from_settings(host, port)
        try:
            server.start()
        except OSError as error:
            raise CommandError(
                f"The sandbox SMTP server cannot listen on {host}:{port} ({error.strerror or error})."
                " Is another sandbox_smtp running? Stop it, or choose another port with --port"
                " or PORTO_SANDBOX_SMTP_PORT."
            ) from error
        self.stdout.write(f"Sandbox SMTP server listening on {server.host}:{server.port}")
        self.stdout.flush()
        try:
            while not stopping.wait(0.5):
                pass
        finally:
            server.stop()
        self.stdout.write("Sandbox SMTP server stopped.")

"""Start everything `make run` needs in one terminal: the web server, the task worker and
the sandbox mail server.
Ctrl-C stops them all."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from porto.documents.demo import DEMO_PASSWORD, DEMO_USERNAME


def child_commands(address: str) -> dict[str, list[str]]:
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    commands = {
        "web": [*manage, "runserver", address, "--noreload"],
        "worker": [*manage, "db_worker", "--interval", "0.5", "--no-reload"],
    }
    if settings.PORTO_SANDBOX_ENABLED:
        commands["sandbox"] = [*manage, "sandbox_smtp"]
    return commands


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the web app, the task worker and the sandbox mail server until Ctrl-C."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--address", default=os.environ.get("PORTO_ADDRESS", "127.0.0.1:8000"))

    def handle(self, *args, address: str, **options) -> None:
        # A plain kill (SIGTERM) must stop the children too, not leave them orphaned.
        signal.signal(signal.SIGTERM, _interrupt)
        children = {
            name: subprocess.Popen(command)  # noqa: S603 - our own manage.py
            for name, command in child_commands(address).items()
        }
        self.stdout.write(
            self.style.SUCCESS(f"\nPorto runs at http://{address}/  ")
            + f"log in as {DEMO_USERNAME} / {DEMO_PASSWORD}   (Ctrl-C stops everything)\n"
        )
        try:
            self._watch(children)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            self._stop(children)

    def _watch(self, children: dict[str, subprocess.Popen]) -> None:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(
                        f"{name} stopped (exit {child.returncode}); stopping the rest."
                    )
                    return
            time.sleep(0.5)

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()

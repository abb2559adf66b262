"""Start everything `make run` needs in one terminal: the web server (gunicorn, as in
production), the task worker of the configured backend, the mail sweeper (due retries,
crashed workers) and the sandbox mail server.

Static files: with PORTO_DEBUG on, whitenoise serves them from the source folders (an edit
shows at the next reload, nothing to collect); in production serve first collects them into
STATIC_ROOT, hashed and compressed, which whitenoise serves with a ten-year cache header.

A child that stops on its own is started again after a short pause (longer if it keeps
crashing), with a line on stderr: one bad row must not take the whole app down. Ctrl-C or a
plain kill (SIGTERM) stops everything, at any moment, also during a restart pause: the signal
only sets a flag, the loop notices it within a tenth of a second, asks every child to stop
(SIGTERM), kills those still running after a few seconds, and exits 0."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, OutputWrapper

from porto.documents.demo import DEMO_PASSWORD, DEMO_USERNAME
from porto.web.management.commands.task_worker import worker_arguments

TICK = 0.1  # seconds between looks at the stop flag and the children
FIRST_PAUSE = 1.0  # before restarting a crashed child; doubles while it keeps crashing
LONGEST_PAUSE = 30.0
STEADY_AFTER = 60.0  # a child that ran this long is healthy again: back to FIRST_PAUSE
STOP_TIMEOUT = 5.0  # after SIGTERM, before SIGKILL


def web_command(address: str) -> list[str]:
    """Gunicorn with Porto's settings (porto/gunicorn_conf.py), stopping within STOP_TIMEOUT:
    its graceful shutdown is shortened so in-flight requests end before serve's SIGKILL."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(settings.BASE_DIR / "porto" / "gunicorn_conf.py"),
        "--chdir",
        str(settings.BASE_DIR),
        "--bind",
        address,
        "--graceful-timeout",
        f"{STOP_TIMEOUT - 1:g}",
    ]


def child_commands(address: str) -> dict[str, list[str]]:
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    commands = {"web": web_command(address)}
    if settings.PORTO_TASK_BACKEND in {"db", "rq"}:  # others run tasks in the web process
        commands["worker"] = [*manage, *worker_arguments(settings.PORTO_TASK_BACKEND, interval=0.5)]
    commands["sweeper"] = [*manage, "mail_sweeper"]
    if settings.PORTO_SANDBOX_ENABLED:
        commands["sandbox"] = [*manage, "sandbox_smtp"]
    return commands


class StopFlag:
    """Set by SIGINT/SIGTERM. The handler only sets the flag: nothing is raised in the middle
    of starting or stopping a child."""

    def __init__(self) -> None:
        self.signal = 0

    def __bool__(self) -> bool:
        return self.signal != 0

    def set(self, signum, frame) -> None:
        self.signal = signum

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.set)
        signal.signal(signal.SIGTERM, self.set)

    def sleep(self, seconds: float) -> None:
        """Sleep, waking early when the flag is set."""
        deadline = time.monotonic() + seconds
        while not self and time.monotonic() < deadline:
            time.sleep(min(TICK, max(0.0, deadline - time.monotonic())))


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    crashes: int = 0  # in a row
    restart_at: float | None = None  # when stopped and waiting for its restart

    def start(self) -> None:
        # Its own process group: Ctrl-C in the terminal reaches serve only, which stops the
        # children itself (SIGTERM, then SIGKILL), the same way for every kind of child.
        self.process = subprocess.Popen(self.command, process_group=0)  # noqa: S603
        self.started_at = time.monotonic()
        self.restart_at = None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def plan_restart(self) -> float:
        """Seconds until the restart of a child that stopped on its own."""
        if time.monotonic() - self.started_at >= STEADY_AFTER:
            self.crashes = 0
        pause = min(FIRST_PAUSE * 2**self.crashes, LONGEST_PAUSE)
        self.crashes += 1
        self.restart_at = time.monotonic() + pause
        return pause


@dataclass
class Supervisor:
    children: list[Child]
    stop: StopFlag
    log: OutputWrapper  # the command's stderr

    def run(self) -> None:
        try:
            for child in self.children:
                if self.stop:
                    return
                child.start()
            while not self.stop:
                self.look_after_children()
                self.stop.sleep(0.5)
        finally:
            self.stop_all()

    def look_after_children(self) -> None:
        for child in self.children:
            if self.stop:
                return
            if child.restart_at is not None:
                if time.monotonic() >= child.restart_at:
                    child.start()
                    self.log.write(f"{child.name} started again.")
            elif not child.is_running():
                code = child.process.returncode if child.process else None
                pause = child.plan_restart()
                self.log.write(f"{child.name} stopped (exit {code}); restarting it in {pause:g} s.")

    def stop_all(self) -> None:
        """SIGTERM to every running child, SIGKILL to those still there after STOP_TIMEOUT."""
        running = [c.process for c in self.children if c.is_running() and c.process]
        for process in running:
            process.send_signal(signal.SIGTERM)  # a no-op once it has stopped
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Command(BaseCommand):
    help = (
        "Run the web server (gunicorn), the task worker, the mail sweeper and the sandbox mail "
        "server until Ctrl-C."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--address", default=os.environ.get("PORTO_ADDRESS", "127.0.0.1:8000"))

    def handle(self, *args, address: str, **options) -> None:
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        stop = StopFlag()
        stop.install()  # before the first child starts: no moment without a handler
        children = [Child(name, command) for name, command in child_commands(address).items()]
        self.stdout.write(
            self.style.SUCCESS(f"\nPorto runs at http://{address}/  ")
            + f"log in as {DEMO_USERNAME} / {DEMO_PASSWORD}   (Ctrl-C stops everything)\n"
        )
        Supervisor(children, stop, self.stderr).run()
        self.stdout.write("\nStopped.")

"""The sandbox mail server: a real SMTP server (aiosmtpd) that answers by the rules in
``rules.py`` and stores what it accepts in the sandbox inbox.

The asyncio loop runs in aiosmtpd's thread; database work runs in one worker thread of its
own, so a slow write never blocks the SMTP conversation of other connections. A table locked
by another connection is waited out a few times; any other failure while storing, or a lock
that lasts, is logged and answered with 451: the sender keeps the message and retries.
"""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import OperationalError, close_old_connections, connections

from porto.sandbox.rules import Rulebook, is_accepted, sandbox_rules
from porto.sandbox.services import sandbox_message_receive

log = logging.getLogger(__name__)

STORE_FAILED = "451 4.3.0 The sandbox could not store the message; try again later"
SESSION_FAILED = "451 4.3.0 The sandbox met an unexpected error; try again later"
GREETING_HOSTNAME = "sandbox.porto.localhost"


# A table locked by another connection (SQLite answers at once when the lock is a table's, as
# with a shared-cache database) is waited out a few times before the 451: the store is one
# transaction, so a try that failed left nothing behind.
LOCKED_RETRY_PAUSES = (0.05, 0.2, 0.5)


def receive(envelope_from: str, recipients: list[str], raw: bytes) -> int:
    close_old_connections()
    store = partial(
        sandbox_message_receive, envelope_from=envelope_from, recipients=recipients, raw=raw
    )
    for pause in LOCKED_RETRY_PAUSES:
        try:
            return store().pk
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            log.warning("The sandbox's store met a lock (%s); trying again", error)
            time.sleep(pause)
    return store().pk


class SandboxHandler:
    def __init__(self, rulebook: Rulebook, executor: ThreadPoolExecutor) -> None:
        self.rulebook = rulebook
        self.executor = executor

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        reply = self.rulebook.reply_for(address)
        if is_accepted(reply):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        log.info("RCPT %s: %s", address, reply)
        return reply

    async def handle_DATA(self, server, session, envelope) -> str:
        loop = asyncio.get_running_loop()
        sender, recipients = envelope.mail_from or "", list(envelope.rcpt_tos)
        try:
            pk = await loop.run_in_executor(
                self.executor, receive, sender, recipients, bytes(envelope.original_content)
            )
        except Exception:
            log.exception(
                "Could not store a message from %r to %r; answered 451", sender, recipients
            )
            return STORE_FAILED
        log.info("Stored message %s from %r to %r", pk, sender, recipients)
        return f"250 2.0.0 OK: stored as {pk}"

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session error; answered 451", exc_info=error)
        return SESSION_FAILED


class SandboxController(Controller):
    """A Controller that may listen on port 0 (a free port, read back from the socket)."""

    def _create_server(self):
        return self._listen()

    async def _listen(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server


class SandboxServer:
    """Start and stop the sandbox server; a context manager for tests and the command."""

    def __init__(
        self, host: str, port: int, *, max_message_bytes: int, defer_attempts: int
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-db")
        self.handler = SandboxHandler(Rulebook(sandbox_rules(defer_attempts)), self._executor)
        self.controller = SandboxController(
            self.handler,
            hostname=host,
            port=port,
            server_hostname=GREETING_HOSTNAME,
            ident="Porto sandbox",
            data_size_limit=max_message_bytes,
            enable_SMTPUTF8=True,  # addresses like josé@example.com (RFC 6531)
        )

    @classmethod
    def from_settings(cls, host: str | None = None, port: int | None = None) -> "SandboxServer":
        return cls(
            settings.PORTO_SANDBOX_SMTP_HOST if host is None else host,
            settings.PORTO_SANDBOX_SMTP_PORT if port is None else port,
            max_message_bytes=settings.PORTO_SANDBOX_MAX_MESSAGE_BYTES,
            defer_attempts=settings.PORTO_SANDBOX_DEFER_ATTEMPTS,
        )

    @property
    def host(self) -> str:
        return self.controller.hostname

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> None:
        try:
            self.controller.start()
        except Exception:
            self._executor.shutdown()
            raise

    def stop(self) -> None:
        self.controller.stop()
        self._executor.submit(connections.close_all).result()
        self._executor.shutdown()

    def __enter__(self) -> "SandboxServer":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

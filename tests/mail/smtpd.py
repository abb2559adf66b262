"""A real SMTP server (aiosmtpd) in the test process, with rules that make every answer
reproducible and every fault a real server shows injectable: 421 at connect, 451/452 or 5xx at
RCPT or after DATA, the connection dropped during DATA or after it (before the reply), a reply
stalled past the client's timeout, STARTTLS refused, AUTH failed; each fault counts down, so the
server recovers after the first N times. It also advertises DSN on request."""

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DSN_MAIL_PARAMS = {"RET", "ENVID"}
DSN_RCPT_PARAMS = {"NOTIFY", "ORCPT"}


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]
    rcpt_options: dict[str, list[str]]
    at: float = 0.0  # time.monotonic() when kept

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Rules:
    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply
    defer_times: dict[str, int] = field(default_factory=dict)  # address -> first N times 451
    # address -> replies to its next RCPTs, one each ("452 4.2.2 Over quota"); then 250
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    data_reply: list[str] = field(default_factory=list)  # replies to DATA, one per message
    drop_on_data: int = 0  # close the connection at DATA (message not kept) this many times
    credentials: tuple[str, str] | None = None
    connect_reply: list[str] = field(default_factory=list)  # greetings of the next connections
    mail_reply: list[str] = field(default_factory=list)  # replies to the next MAIL FROMs
    # Keep the message, then close the connection without replying, this many times.
    drop_after_data: int = 0
    # Keep the message, then wait this long before the 250, once per entry.
    stall_after_data: list[float] = field(default_factory=list)
    drop_mid_data: int = 0  # close after the 354, while the content arrives, this many times
    refuse_starttls: bool = False  # advertise STARTTLS and answer 454 to it
    # A test's fault or kill points: at MAIL FROM (a worker has claimed and composed an email),
    # at the DATA command (before any content), and with each kept message before its reply.
    on_mail: Callable[[], None] | None = None
    on_data_command: Callable[[], None] | None = None
    on_stored: Callable[["Received"], None] | None = None


class Handler:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.received: list[Received] = []
        self.rcpt_seen: Counter[str] = Counter()
        self.dsn_options: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.sessions = 0
        self.login_sessions = 0  # sessions that tried to log in (each may try two mechanisms)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions += 1
        if isinstance(server, DsnSMTP):
            responses.insert(-1, "250-DSN")
        if self.rules.refuse_starttls:
            responses.insert(-1, "250-STARTTLS")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.rules.on_mail is not None:
            self.rules.on_mail()
        with self.lock:
            if self.rules.mail_reply:
                return self.rules.mail_reply.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_seen[address] += 1
            if address in self.rules.refuse:
                return self.rules.refuse[address]
            if self.rcpt_seen[address] <= self.rules.defer_times.get(address, 0):
                return "451 4.3.0 Try again later"
            if self.rules.rcpt_replies.get(address):
                return self.rules.rcpt_replies[address].pop(0)
        envelope.rcpt_tos.append(address)
        if isinstance(server, DsnSMTP):
            self.dsn_options[address] = server.last_rcpt_dsn
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.rules.drop_on_data > 0:
                self.rules.drop_on_data -= 1
                server.transport.close()
                return "421 4.4.2 Connection dropped"
            if self.rules.data_reply:
                return self.rules.data_reply.pop(0)
            received = Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(envelope.original_content or envelope.content),
                mail_options=list(envelope.mail_options)
                + (server.last_mail_dsn if isinstance(server, DsnSMTP) else []),
                rcpt_options={a: self.dsn_options.get(a, []) for a in envelope.rcpt_tos},
                at=time.monotonic(),
            )
            self.received.append(received)
            drop = self.rules.drop_after_data > 0
            if drop:
                self.rules.drop_after_data -= 1
            stall = self.rules.stall_after_data.pop(0) if self.rules.stall_after_data else 0.0
        if self.rules.on_stored is not None:
            self.rules.on_stored(received)
        if drop:  # kept, but the client never hears so
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        if stall:
            await asyncio.sleep(stall)
        return "250 2.0.0 Queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if not getattr(session, "porto_login_counted", False):
            session.porto_login_counted = True
            self.login_sessions += 1
        expected = self.rules.credentials
        ok = (
            isinstance(auth_data, LoginPassword)
            and expected is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == expected
        )
        return AuthResult(success=ok, handled=False)


def _strip_params(arg: str, names: set[str]) -> tuple[str, list[str]]:
    head, *params = arg.split(" ")
    kept, taken = [head], []
    for param in params:
        (taken if param.split("=", 1)[0].upper() in names else kept).append(param)
    return " ".join(kept), taken


class FaultySMTP(SMTP):
    """The faults that happen before the handler's hooks: the greeting, STARTTLS and a drop
    while the content arrives."""

    rules: "Rules"

    async def _handle_client(self):
        if self.rules.connect_reply:
            greeting = self.rules.connect_reply.pop(0)
            await self.push(greeting)
            self.transport.close()
            return
        await super()._handle_client()

    async def smtp_STARTTLS(self, arg):
        if self.rules.refuse_starttls:
            await self.push("454 4.7.0 TLS not available due to temporary reason")
            return
        await super().smtp_STARTTLS(arg)

    async def smtp_DATA(self, arg):
        if self.rules.on_data_command is not None and self.envelope.rcpt_tos:
            self.rules.on_data_command()
        if self.rules.drop_mid_data > 0 and self.envelope.rcpt_tos:
            self.rules.drop_mid_data -= 1
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.read(1024)  # a first piece of the content, then gone
            self.transport.close()
            return
        await super().smtp_DATA(arg)


class DsnSMTP(FaultySMTP):
    """aiosmtpd refuses unknown MAIL/RCPT parameters: accept the DSN ones (RFC 3461)."""

    last_mail_dsn: list[str] = []
    last_rcpt_dsn: list[str] = []

    async def smtp_MAIL(self, arg):
        arg, self.last_mail_dsn = _strip_params(arg or "", DSN_MAIL_PARAMS)
        return await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        arg, self.last_rcpt_dsn = _strip_params(arg or "", DSN_RCPT_PARAMS)
        return await super().smtp_RCPT(arg)


class SmtpTestServer(Controller):
    def __init__(
        self, rules: Rules | None = None, *, dsn: bool = False, port: int | None = None
    ) -> None:
        self.rules = rules or Rules()
        self.handler_obj = Handler(self.rules)
        self.dsn = dsn
        kwargs = {}
        if self.rules.credentials:
            kwargs = {
                "authenticator": self.handler_obj.authenticate,
                "auth_require_tls": False,
            }
        self.port_number = port or free_port()
        super().__init__(self.handler_obj, hostname="127.0.0.1", port=self.port_number, **kwargs)

    def start(self) -> None:
        # Starting connects once to check the server is up: that is not a client's connection.
        waiting, self.rules.connect_reply = self.rules.connect_reply, []
        super().start()
        self.rules.connect_reply = waiting

    def factory(self):
        cls = DsnSMTP if self.dsn else FaultySMTP
        server = cls(self.handler, **self.SMTP_kwargs)
        server.rules = self.rules
        return server

    @property
    def received(self) -> list[Received]:
        return self.handler_obj.received


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

"""Own mailbox (SMTP): the company's own server, with its credentials.

The dialogue is the one ``smtplib.SMTP.sendmail`` runs (MAIL, RCPT per address, DATA), spelled
out so that each address gets its own DSN ``ORCPT`` and its own answer: a refused recipient is
recorded, not thrown away (Django's SMTP backend drops them). DSN (RFC 3461) is asked for when
the server advertises it: ``RET=HDRS``, ``ENVID`` = our email id, ``NOTIFY=SUCCESS,FAILURE``.

Addresses go on the wire with IDNA domains (``xn--``). An email to or from a local part outside
ASCII (``josé@…``) is sent with SMTPUTF8 (RFC 6531) when the server offers it; otherwise it
fails at once with a plain reason (the send dialog already refuses it for such a server).
"""

import re
import smtplib
import ssl
from functools import cache

from django.conf import settings

from porto.lib.headers import envelope_address, message_needs_smtputf8, needs_smtputf8
from porto.lib.smtp import (
    SmtpConfig,
    SmtpFailure,
    Step,
    default_ssl_context,
    reply_text,
    smtp_open,
)
from porto.mail.compose import as_bytes
from porto.mail.reasons import Refusal, failure_describe, reason_message, reason_stored
from porto.mail.sources import email_settings_for
from porto.mail.transports.base import (
    AMBIGUOUS,
    Outbound,
    RecipientResult,
    Transport,
    TransportError,
    WayDown,
)

ACCEPTED_CODES = (250, 251)
# A session that could not be opened: the server, not the email, is the problem.
WAY_DOWN_AT = {Step.CONNECT: WayDown.UNREACHABLE, Step.TLS: WayDown.TLS, Step.LOGIN: WayDown.LOGIN}


class SessionClosed(Exception):
    """The server closed the session before it took this email's MAIL command: nothing of the
    email was handed off, so on a reused session it can go again at once on a new one.
    ``refusal``: what it means on a new session (a 421 answer), else "disconnected"."""

    def __init__(self, refusal: TransportError | None = None) -> None:
        super().__init__()
        self.refusal = refusal


def xtext(value: str) -> str:
    """RFC 3461 xtext: printable ASCII except '+' and '=', the rest as +HH."""
    return "".join(
        ch if 33 <= ord(ch) <= 126 and ch not in "+=" else f"+{ord(ch):02X}"
        for ch in value.encode("utf-8").decode("latin-1")
    )


@cache
def shared_ssl_context(ca_file: str) -> ssl.SSLContext:
    """Loading the system's CA certificates takes ~40 ms: once per process, not per email."""
    return default_ssl_context()


class SmtpTransport(Transport):
    name = "smtp"
    envelope_apart = True

    def __init__(
        self,
        config: SmtpConfig,
        ssl_context: ssl.SSLContext | None = None,
        *,
        keep_open: bool = False,
    ) -> None:
        self.config = config
        self.ssl_context = ssl_context
        self.keep_open = keep_open  # reuse one connection for several emails (a batch)
        self.session: smtplib.SMTP | None = None

    @classmethod
    def for_company(cls, company, *, keep_open: bool = False) -> "SmtpTransport":
        return cls(email_settings_for(company).smtp_config(), keep_open=keep_open)

    def open(self) -> smtplib.SMTP:
        context = self.ssl_context or shared_ssl_context(settings.PORTO_SMTP_CA_FILE)
        try:
            return smtp_open(self.config, context)
        except SmtpFailure as failure:
            raise TransportError(
                reason_stored("smtp_session_failed", reason=_failure_reason(failure)),
                permanent=failure.permanent,
                code=str(failure.code or ""),
                way_down=WAY_DOWN_AT.get(failure.step),
            ) from failure

    def send(self, outbound: Outbound) -> dict[str, RecipientResult]:
        reused = self.session is not None
        session = self._session()
        try:
            try:
                results = hand_off(session, outbound, self.where)
            except SessionClosed as closed:
                if not reused:
                    raise (closed.refusal or closed) from closed.__cause__
                self._drop(session)  # closed while idle: nothing of this email went out
                session = self._session()
                results = hand_off(session, outbound, self.where)
        except (SessionClosed, smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop(session)
            raise connection_lost(error, self.where, self.config.timeout) from error
        except BaseException:
            self._drop(session)
            raise
        if not self.keep_open:
            self._drop(session)
        return results

    def offers_smtputf8(self) -> bool:
        """Ask the server (EHLO) whether it takes SMTPUTF8; False when it cannot be reached."""
        try:
            session = self.open()
        except TransportError:
            return False
        try:
            return session_offers_smtputf8(session)
        except (smtplib.SMTPException, OSError):
            return False
        finally:
            close_quietly(session)

    def close(self) -> None:
        if self.session is not None:
            self._drop(self.session)

    def _session(self) -> smtplib.SMTP:
        """The batch's open session (no RSET round trip per email: a session the server
        closed meanwhile shows at MAIL, and ``send`` opens a new one), or a new session."""
        if self.session is not None:
            return self.session
        session = self.open()
        if self.keep_open:
            self.session = session
        return session

    def _drop(self, session: smtplib.SMTP) -> None:
        close_quietly(session)
        if self.session is session:
            self.session = None

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.port}"


def connection_lost(error: Exception, where: str, timeout: float) -> TransportError:
    """The connection failed before the message was complete: nothing was accepted, so
    trying again later cannot make a copy. Our own timeout is said as such."""
    if timed_out(error):
        return TransportError(
            reason_stored("smtp_timeout", where=where, seconds=int(timeout)), permanent=False
        )
    if isinstance(error, SessionClosed | smtplib.SMTPServerDisconnected):
        return TransportError(reason_stored("smtp_disconnected", where=where), permanent=False)
    return TransportError(
        reason_stored("smtp_connection_failed", where=where, reason=str(error)), permanent=False
    )


def timed_out(error: BaseException | None) -> bool:
    """smtplib turns a timeout while reading a reply into SMTPServerDisconnected: look along
    the chain of causes for our own timeout."""
    while error is not None:
        if isinstance(error, TimeoutError):
            return True
        error = error.__cause__ or error.__context__
    return False


def hand_off(session: smtplib.SMTP, outbound: Outbound, where: str) -> dict[str, RecipientResult]:
    session.ehlo_or_helo_if_needed()
    data = as_bytes(outbound.message)
    dsn = session.has_extn("dsn")
    _mail_from(session, outbound, data, dsn, _smtputf8(session, outbound, where), where)
    results: dict[str, RecipientResult] = {}
    accepted: list[str] = []
    for address in outbound.recipients:
        wire = envelope_address(address)
        options = ["NOTIFY=SUCCESS,FAILURE", f"ORCPT=rfc822;{xtext(wire)}"] if dsn else []
        code, reply = session.rcpt(wire, options)
        if code in ACCEPTED_CODES:
            accepted.append(address)
        else:
            results[address] = refusal(code, reply)
    if not accepted:
        session.rset()
        return results
    code, final_reply = _data(session, data, where)
    for address in accepted:
        results[address] = RecipientResult(
            accepted=True, code=str(code), reason=reply_text(final_reply)
        )
    outbound.on_answer(results)
    return results


def refusal(code: int, reply: bytes | str) -> RecipientResult:
    permanent = code >= 500
    reason, _code = failure_describe(
        reply_text(reply),
        refusal=Refusal.BOUNCE if permanent else Refusal.DELAY,
        basic_code=code,
    )
    return RecipientResult(accepted=False, permanent=permanent, code=str(code), reason=reason)


def session_offers_smtputf8(session: smtplib.SMTP) -> bool:
    session.ehlo_or_helo_if_needed()
    return session.has_extn("smtputf8")


def _smtputf8(session: smtplib.SMTP, outbound: Outbound, where: str) -> bool:
    """Whether this email needs SMTPUTF8; refused at once when the server does not offer it."""
    addresses = [outbound.sender, *outbound.recipients]
    needed = message_needs_smtputf8(outbound.message) or any(map(needs_smtputf8, addresses))
    if needed and not session_offers_smtputf8(session):
        raise TransportError(reason_stored("smtp_no_smtputf8", where=where), permanent=True)
    return needed


def _mail_from(
    session: smtplib.SMTP, outbound: Outbound, data: bytes, dsn: bool, smtputf8: bool, where: str
) -> None:
    options = []
    if dsn:
        options += ["RET=HDRS", f"ENVID={xtext(outbound.public_id)}"]
    if session.has_extn("size"):
        options.append(f"SIZE={len(data)}")
    if smtputf8:
        options.append("SMTPUTF8")
        if session.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
    try:
        code, reply = session.mail(envelope_address(outbound.sender), options)
    except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
        raise SessionClosed from error
    if code == 250:
        return
    if code == 552:  # SIZE: the message, not the sender, is refused
        session.rset()
        raise message_refused(code, reply, where)
    refused = TransportError(
        reason_stored(
            "smtp_sender_refused", sender=outbound.sender, code=code, reply=reply_text(reply)
        ),
        permanent=code >= 500,
        code=str(code),
    )
    if code == 421:  # the server is closing the session (an idle timeout, a restart)
        raise SessionClosed(refused)
    session.rset()
    raise refused


def _data(session: smtplib.SMTP, data: bytes, where: str) -> tuple[int, bytes | str]:
    """DATA, the content, and the final reply, waited for as long as RFC 5321 (4.5.3.2.6) asks
    (PORTO_MAIL_SMTP_DATA_TIMEOUT, 10 minutes): once the final "." is sent the server may have
    the message, so a lost or late reply is not a plain failure but an ``ambiguous`` hand-off."""
    code, reply = session.docmd("DATA")
    if code != 354:  # refused before the content
        raise message_refused(code, reply, where)
    session.send(dot_stuffed(data))
    code, reply = final_reply(session, where)
    if code != 250:
        raise message_refused(code, reply, where)
    return code, reply


def dot_stuffed(data: bytes) -> bytes:
    """The content as DATA sends it (what ``smtplib.SMTP.data`` does): lines starting with a
    dot doubled, CRLF line ends, and the final "." line."""
    content = re.sub(rb"(?m)^\.", b"..", re.sub(rb"\r\n|\r|\n", b"\r\n", data))
    if not content.endswith(b"\r\n"):
        content += b"\r\n"
    return content + b".\r\n"


def final_reply(session: smtplib.SMTP, where: str) -> tuple[int, bytes]:
    timeout = settings.PORTO_MAIL_SMTP_DATA_TIMEOUT
    usual = session.sock.gettimeout() if session.sock is not None else None
    if session.sock is not None:
        session.sock.settimeout(timeout)
    try:
        reply = session.getreply()
        if session.sock is not None:
            session.sock.settimeout(usual)  # the next commands of a kept session
        return reply
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        session.close()
        what = (
            reason_stored("smtp_no_reply_within", seconds=f"{timeout:g}")
            if timed_out(error)
            else reason_stored("smtp_reply_connection_lost")
        )
        raise TransportError(
            reason_stored("smtp_reply_lost", where=where, reason=what),
            permanent=False,
            code=AMBIGUOUS,
        ) from error


def message_refused(code: int, reply: bytes | str, where: str) -> TransportError:
    key = "smtp_message_too_big" if code == 552 else "smtp_message_refused"
    return TransportError(
        reason_stored(key, where=where, code=code, reply=reply_text(reply)),
        permanent=code >= 500,
        code=str(code),
    )


def close_quietly(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()


def _failure_reason(failure: SmtpFailure) -> object:
    """The session's failure as stored: its sentence and parameters when it has them, so the
    page says it in the reader's language."""
    return reason_message(failure.msgid, failure.params) if failure.msgid else failure.message

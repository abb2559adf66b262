"""Talking to an SMTP server: open a session step by step and say in plain words what failed.

Used by the own-mailbox (SMTP) transport and by the "Send test email" action. Each failure is
an ``SmtpFailure`` naming the step (connect, tls, login, sender, recipients, data), a message a
person can act on, and whether trying again later may help (``permanent``).
"""

import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from porto.lib.messages import message_params, message_text


class Security(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class Step(StrEnum):
    CONNECT = "connect"
    TLS = "tls"
    LOGIN = "login"
    SENDER = "sender"
    RECIPIENTS = "recipients"
    DATA = "data"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: Security = Security.STARTTLS
    username: str = ""
    password: str = ""
    timeout: float = 20.0

    def __repr__(self) -> str:  # never print the password
        return f"SmtpConfig({self.host}:{self.port}, {self.security}, user={self.username!r})"


class SmtpFailure(Exception):
    """``message`` is in the active language; ``msgid`` and ``params``, when set, let a caller
    store the failure and say it later in a reader's language (``_(msgid) % params``)."""

    def __init__(
        self,
        step: Step,
        message: str,
        *,
        permanent: bool,
        code: int | None = None,
        msgid: str = "",
        params: Mapping[str, str | int | float] | None = None,
    ) -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.permanent = permanent
        self.code = code
        self.msgid = msgid
        self.params = dict(params or {})


def smtp_failure(
    step: Step, msgid: str, params: dict[str, object] | None = None, **options
) -> SmtpFailure:
    """An ``SmtpFailure`` worded by ``msgid`` (marked with ``N_``), in the active language."""
    plain = message_params(params)
    return SmtpFailure(step, message_text(msgid, plain), msgid=msgid, params=plain, **options)


def reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())


def is_permanent_code(code: int) -> bool:
    return 500 <= code < 600


def describe_recipient_refusal(code: int, raw: bytes | str) -> str:
    """A refused recipient, in plain words, with the server's own reply kept for support."""
    text = reply_text(raw)
    if code in (550, 551, 553) and ("5.1.1" in text or "unknown" in text.lower()):
        lead = _("The recipient's server says the mailbox does not exist")
    elif code == 552 or "5.2.2" in text:
        lead = _("The recipient's mailbox is full")
    elif code in (421, 450, 451, 452):
        lead = _("The recipient's server asked to try again later")
    elif code == 554 or "5.7." in text:
        lead = _(
            "The recipient's server refused the message as a policy decision (spam or sender checks)"
        )
    else:
        lead = _("The recipient's server refused the address")
    return f"{lead} ({code} {text})"


def default_ssl_context() -> ssl.SSLContext:
    """The system's trusted CAs, plus ``settings.PORTO_SMTP_CA_FILE`` when one is set."""
    context = ssl.create_default_context()
    ca_file = getattr(settings, "PORTO_SMTP_CA_FILE", "")
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def smtp_open(config: SmtpConfig, ssl_context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """A connected session, encrypted as configured and logged in if a username is given."""
    context = ssl_context or default_ssl_context()
    session = _connect(config, context)
    try:
        if config.security == Security.STARTTLS:
            _starttls(session, config, context)
        if config.username:
            _login(session, config)
    except BaseException:
        _close_quietly(session)
        raise
    return session


def _connect(config: SmtpConfig, context: ssl.SSLContext) -> smtplib.SMTP:
    where = f"{config.host}:{config.port}"
    try:
        if config.security == Security.TLS:
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=context
            )
        return smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    except socket.gaierror as error:
        raise smtp_failure(
            Step.CONNECT,
            N_("The SMTP host %(host)s could not be found: check the host name."),
            {"host": config.host},
            permanent=True,
        ) from error
    except ConnectionRefusedError as error:
        raise smtp_failure(
            Step.CONNECT,
            N_("Nothing answers at %(where)s: check the port (587 for STARTTLS, 465 for TLS)."),
            {"where": where},
            permanent=False,
        ) from error
    except TimeoutError as error:
        raise smtp_failure(
            Step.CONNECT,
            N_("%(where)s did not answer within %(seconds)d seconds."),
            {"where": where, "seconds": config.timeout},
            permanent=False,
        ) from error
    except smtplib.SMTPConnectError as error:  # the greeting was a refusal (421 busy, 554)
        raise smtp_failure(
            Step.CONNECT,
            N_("%(where)s refused the connection (%(code)d %(reply)s)."),
            {"where": where, "code": error.smtp_code, "reply": reply_text(error.smtp_error)},
            permanent=is_permanent_code(error.smtp_code),
            code=error.smtp_code,
        ) from error
    except ssl.SSLError as error:
        raise smtp_failure(
            Step.TLS,
            N_(
                "The TLS handshake with %(where)s failed (%(reason)s): check the port and security setting."
            ),
            {"where": where, "reason": error.reason or error},
            permanent=True,
        ) from error
    except (OSError, smtplib.SMTPException) as error:
        raise smtp_failure(
            Step.CONNECT,
            N_("Could not talk to %(where)s: %(reason)s"),
            {"where": where, "reason": error},
            permanent=False,
        ) from error


def _starttls(session: smtplib.SMTP, config: SmtpConfig, context: ssl.SSLContext) -> None:
    try:
        session.ehlo()
        if not session.has_extn("starttls"):
            raise smtp_failure(
                Step.TLS,
                N_(
                    "%(host)s does not offer STARTTLS on port %(port)d: choose TLS (usually port "
                    "465) or ask your provider for the right port."
                ),
                {"host": config.host, "port": config.port},
                permanent=True,
            )
        session.starttls(context=context)
        session.ehlo()
    except ssl.SSLError as error:
        raise smtp_failure(
            Step.TLS,
            N_("The TLS handshake with %(host)s failed: %(reason)s"),
            {"host": config.host, "reason": error.reason or error},
            permanent=True,
        ) from error
    except smtplib.SMTPException as error:
        raise smtp_failure(
            Step.TLS, N_("STARTTLS failed: %(reason)s"), {"reason": error}, permanent=False
        ) from error


def _login(session: smtplib.SMTP, config: SmtpConfig) -> None:
    try:
        session.login(config.username, config.password)
    except smtplib.SMTPAuthenticationError as error:
        raise smtp_failure(
            Step.LOGIN,
            N_("Your SMTP server refused the login (%(code)d): check the username and password."),
            {"code": error.smtp_code},
            permanent=True,
            code=error.smtp_code,
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        raise smtp_failure(
            Step.LOGIN,
            N_(
                "The server does not accept a login on this connection: choose STARTTLS or TLS, "
                "or leave the username empty."
            ),
            permanent=True,
        ) from error
    except smtplib.SMTPException as error:
        raise smtp_failure(
            Step.LOGIN, N_("The login failed: %(reason)s"), {"reason": error}, permanent=False
        ) from error


def _close_quietly(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()

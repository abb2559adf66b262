"""Writes on email settings, and the "Send test email" action.

``email_settings_update`` validates the whole settings row with the changes applied and saves
only when it is valid: the stored settings stay as they were until then.
``smtp_test_send`` walks through an SMTP session step by step (connect, TLS, login, sender,
recipient, message) and reports each step in plain words.
"""

import copy
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from porto.emailsettings.models import EmailSettings, Method
from porto.lib import smtp
from porto.lib.headers import (
    OUTGOING,
    Mailbox,
    envelope_address,
    mailbox_value,
    message_bytes,
    message_needs_smtputf8,
    unstructured_value,
)
from porto.lib.smtp import Security, SmtpFailure, Step

STEP_ORDER = list(Step)


def email_settings_with(settings: EmailSettings, changes: dict) -> EmailSettings:
    """An unsaved copy of ``settings`` with ``changes`` applied and validated
    (ValidationError per field otherwise)."""
    candidate = copy.copy(settings)
    for name, value in changes.items():
        setattr(candidate, name, value)
    candidate.full_clean(exclude=["company"])
    return candidate


def email_settings_update(settings: EmailSettings, changes: dict) -> EmailSettings:
    """Apply ``changes`` if the result is valid; return the saved settings."""
    with transaction.atomic():
        stored = EmailSettings.objects.select_for_update().get(pk=settings.pk)
        candidate = email_settings_with(stored, changes)
        candidate.save()
    return candidate


# Send test email


def smtp_test_candidate(settings: EmailSettings, changes: dict) -> EmailSettings:
    """The unsaved settings a test email is sent with. Only Own mailbox (SMTP) can be tested:
    with the platform method the SMTP fields are hidden, so their errors would mark nothing."""
    if changes.get("method") != Method.SMTP:
        raise ValidationError(
            {
                "method": _(
                    "The test email checks your own mailbox: choose Own mailbox (SMTP) and "
                    "fill in its server first. With the platform method Porto sends for you "
                    "and there is nothing to test."
                )
            }
        )
    return email_settings_with(settings, changes)


class StepState(StrEnum):
    OK = "ok"
    WARNING = "warning"  # passed, with a risk the user should know (no encryption)
    FAILED = "failed"
    SKIPPED = "skipped"  # not tried, because an earlier step failed


@dataclass(frozen=True)
class StepResult:
    step: Step
    state: StepState
    message: str


@dataclass
class SmtpTestReport:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(
            s.state in (StepState.OK, StepState.WARNING) for s in self.steps
        )

    @property
    def failure(self) -> StepResult | None:
        return next((s for s in self.steps if s.state == StepState.FAILED), None)


def smtp_test_send(
    settings: EmailSettings, to_address: str, ssl_context: ssl.SSLContext | None = None
) -> SmtpTestReport:
    """Send a short test message through the settings' SMTP server to ``to_address``."""
    config = settings.smtp_config()
    report = SmtpTestReport()
    try:
        session = smtp.smtp_open(config, ssl_context)
    except SmtpFailure as failure:
        return _failed(report, config, failure)
    report.steps += _opened_steps(config, session)
    try:
        _send(session, settings, to_address, report)
    except SmtpFailure as failure:
        return _failed(report, config, failure)
    finally:
        _quit(session)
    return report


def _quit(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()


def _opened_steps(config: smtp.SmtpConfig, session) -> list[StepResult]:
    where = f"{config.host}:{config.port}"
    steps = [
        StepResult(Step.CONNECT, StepState.OK, _("Connected to %(where)s.") % {"where": where})
    ]
    steps.append(_tls_step(config, session))
    if config.username:
        steps.append(
            StepResult(
                Step.LOGIN, StepState.OK, _("Logged in as %(user)s.") % {"user": config.username}
            )
        )
    else:
        steps.append(StepResult(Step.LOGIN, StepState.OK, _("No login: no username is set.")))
    return steps


def _tls_step(config: smtp.SmtpConfig, session) -> StepResult:
    if config.security == Security.NONE:
        return StepResult(
            Step.TLS,
            StepState.WARNING,
            _(
                "Not encrypted: the password and every email travel readable over the network. "
                "Choose STARTTLS or TLS if your server offers it."
            ),
        )
    sock = getattr(session, "sock", None)
    version = sock.version() if isinstance(sock, ssl.SSLSocket) else ""
    label = "STARTTLS" if config.security == Security.STARTTLS else "TLS"
    return StepResult(
        Step.TLS,
        StepState.OK,
        _("Encrypted with %(method)s (%(version)s); the server's certificate is valid.")
        % {"method": label, "version": version or "TLS"},
    )


def _send(session, settings: EmailSettings, to_address: str, report: SmtpTestReport) -> None:
    _command(session.ehlo_or_helo_if_needed, Step.SENDER)
    test_message = smtp_test_message(settings, to_address)
    options = _smtputf8_options(session, test_message, to_address)
    report.steps.append(_mail_from(session, settings.smtp_from_address, options))
    report.steps.append(_rcpt_to(session, to_address))
    message = message_bytes(test_message)
    code, reply = _command(lambda: session.data(message), Step.DATA)
    report.steps.append(
        StepResult(
            Step.DATA,
            StepState.OK,
            _(
                "The server accepted the test message (%(code)d %(reply)s): look for it in "
                "the mailbox of %(to)s."
            )
            % {"code": code, "reply": smtp.reply_text(reply), "to": to_address},
        )
    )


def _smtputf8_options(session, message: EmailMessage, to_address: str) -> list[str]:
    if not message_needs_smtputf8(message):
        return []
    if not session.has_extn("smtputf8"):
        raise SmtpFailure(
            Step.RECIPIENTS,
            _(
                "The server does not accept addresses with accents or other non-ASCII letters "
                "before the @ (SMTPUTF8), like %(to)s."
            )
            % {"to": to_address},
            permanent=True,
        )
    return ["SMTPUTF8"]


def _mail_from(session, sender: str, options: list[str]) -> StepResult:
    code, reply = _command(lambda: session.mail(envelope_address(sender), options), Step.SENDER)
    if code != 250:
        raise SmtpFailure(
            Step.SENDER,
            _(
                "The server refuses %(sender)s as the from-address (%(code)d %(reply)s): use an "
                "address your mailbox is allowed to send from."
            )
            % {"sender": sender, "code": code, "reply": smtp.reply_text(reply)},
            permanent=smtp.is_permanent_code(code),
            code=code,
        )
    message = _("The server accepts %(sender)s as sender.") % {"sender": sender}
    return StepResult(Step.SENDER, StepState.OK, message)


def _rcpt_to(session, to_address: str) -> StepResult:
    code, reply = _command(lambda: session.rcpt(envelope_address(to_address)), Step.RECIPIENTS)
    if code not in (250, 251):
        raise SmtpFailure(
            Step.RECIPIENTS,
            smtp.describe_recipient_refusal(code, reply),
            permanent=smtp.is_permanent_code(code),
            code=code,
        )
    message = _("The server accepts the recipient %(to)s.") % {"to": to_address}
    return StepResult(Step.RECIPIENTS, StepState.OK, message)


def _command(call, step: Step):
    """Run one SMTP command; a refusal or a dropped connection becomes an SmtpFailure."""
    try:
        return call()
    except (smtplib.SMTPException, OSError) as error:
        code = getattr(error, "smtp_code", None)
        detail = getattr(error, "smtp_error", b"") or str(error)
        raise SmtpFailure(
            step,
            _("The server stopped the session at this step: %(reason)s")
            % {"reason": f"{code or ''} {smtp.reply_text(detail)}".strip()},
            permanent=bool(code and smtp.is_permanent_code(code)),
            code=code,
        ) from error


def smtp_test_message(settings: EmailSettings, to_address: str) -> EmailMessage:
    message = EmailMessage(policy=OUTGOING)
    sender = Mailbox(settings.display_sender_name, settings.smtp_from_address)
    message.set_raw("From", mailbox_value(sender))
    message.set_raw("To", mailbox_value(Mailbox("", to_address)))
    message.set_raw("Subject", unstructured_value(_("Porto test email")))
    message["Date"] = formatdate(localtime=True)
    domain = settings.smtp_from_address.rpartition("@")[2] or "porto.local"
    message["Message-ID"] = make_msgid("porto-test", domain=domain)
    message.set_content(
        _(
            "This message shows that Porto can send email through %(host)s from %(sender)s.\n"
            "Nothing needs to be done.\n"
        )
        % {"host": settings.smtp_host, "sender": settings.smtp_from_address}
    )
    return message


def _failed(report: SmtpTestReport, config: smtp.SmtpConfig, failure: SmtpFailure):
    done = {s.step for s in report.steps}
    failed_at = STEP_ORDER.index(failure.step)
    for step in STEP_ORDER[:failed_at]:
        if step not in done:
            report.steps.append(_assumed_ok(step, config))
    report.steps.append(StepResult(failure.step, StepState.FAILED, failure.message))
    for step in STEP_ORDER[failed_at + 1 :]:
        report.steps.append(StepResult(step, StepState.SKIPPED, _("Not tried.")))
    report.steps.sort(key=lambda s: STEP_ORDER.index(s.step))
    return report


def _assumed_ok(step: Step, config: smtp.SmtpConfig) -> StepResult:
    """A step before the failing one: it passed, since the session got past it."""
    if step == Step.CONNECT:
        where = f"{config.host}:{config.port}"
        return StepResult(step, StepState.OK, _("Connected to %(where)s.") % {"where": where})
    if step == Step.TLS:
        if config.security == Security.NONE:
            return StepResult(step, StepState.WARNING, _("Not encrypted."))
        return StepResult(step, StepState.OK, _("Encrypted."))
    if step == Step.LOGIN and not config.username:
        return StepResult(step, StepState.OK, _("No login: no username is set."))
    return StepResult(step, StepState.OK, _("Done."))

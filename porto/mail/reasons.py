"""Every reason Porto stores (a failure, a delay, a skip) as a code plus parameters, and the
one function that renders it in the reader's language.

The worker runs in English, the reader may read Dutch or French: so a reason is stored as
``{"code": "mailbox_missing", "params": {"server": "550 5.1.1 User unknown"}}`` and turned into
words only when a page, a PDF or a tooltip shows it. ``SENTENCES`` is the table of codes; a
parameter named ``server`` holds the server's or provider's own words: never translated, shown
in brackets after the sentence, for support. A parameter may itself be a stored reason (shown
rendered) or a text per language (``{"en": ..., "nl": ..., "fr": ...}``: the reader's one).
Rows stored before codes existed hold plain text, and are shown as stored.

Who refused matters to the reader: the provider's own refusals (its suppression list, an
address it finds invalid, content it will not carry) are worded as the provider's, never as
the recipient's server's.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

_BASIC_CODE = re.compile(r"(?<![\d.])([245]\d\d)(?![\d.])")
_ENHANCED_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3}\.\d{1,3})(?![\d.])")
_MAX_SERVER_TEXT = 300

# Refusals and delays, from a server's reply or a provider's event (``failure_describe``).
MAILBOX_MISSING = "mailbox_missing"
HARD_BOUNCE = "hard_bounce"
ADDRESS_SYNTAX = "address_syntax"
DOMAIN_MISSING = "domain_missing"
MAILBOX_FULL = "mailbox_full"
MAILBOX_DISABLED = "mailbox_disabled"
TOO_LARGE = "too_large"
CONTENT_REFUSED = "content_refused"
POLICY = "policy"
UNREACHABLE = "unreachable"
TRY_LATER = "try_later"
REFUSED = "refused"
# The provider's own refusals: it never offered the email to the recipient's server.
INVALID_ADDRESS = "invalid_address"
SUPPRESSED = "suppressed"
BAD_CONTENT = "bad_content"
PROVIDER_REFUSED = "provider_refused"
NOT_SENT = "not_sent"
HELD = "held"
HELD_OTHER = "held_other"
COMPLAINED = "complained"

SENTENCES: dict[str, str] = {
    MAILBOX_MISSING: N_("The recipient's server says the mailbox does not exist"),
    HARD_BOUNCE: N_(
        "The recipient's server refused the address for good without saying why; it most "
        "likely does not exist: check it for typos"
    ),
    ADDRESS_SYNTAX: N_("The recipient's server says the address is not valid: check it for typos"),
    DOMAIN_MISSING: N_(
        "The recipient's domain does not receive email: check the address for typos"
    ),
    MAILBOX_FULL: N_("The recipient's mailbox is full"),
    MAILBOX_DISABLED: N_("The recipient's mailbox is disabled"),
    TOO_LARGE: N_("The email is too large for the recipient's server"),
    CONTENT_REFUSED: N_("The recipient's server refused the content or an attachment of the email"),
    POLICY: N_(
        "The recipient's server refused the email as a policy decision (spam or sender checks)"
    ),
    UNREACHABLE: N_("The recipient's server could not be reached"),
    TRY_LATER: N_("The recipient's server asked to try again later"),
    REFUSED: N_("The recipient's server refused the email"),
    INVALID_ADDRESS: N_(
        "The provider refused to send it: the address is not valid; check it for typos"
    ),
    SUPPRESSED: N_(
        "The provider refused to send it: the address is on its suppression list after an "
        "earlier bounce or complaint"
    ),
    BAD_CONTENT: N_(
        "The provider refused to send it: it found a virus or harmful content in the email or "
        "an attachment"
    ),
    PROVIDER_REFUSED: N_("The provider refused to send the email"),
    NOT_SENT: N_("The provider could not send the email"),
    HELD: N_("Held: on the provider's suppression list"),
    HELD_OTHER: N_("Held by the provider instead of sent (its hold rules or sending limit)"),
    COMPLAINED: N_("The recipient marked the email as spam"),
    # The outbox (porto.mail.delivery).
    "build_failed": N_("The email could not be built: %(reason)s"),
    "document_files_failed": N_("The document's files could not be made: %(reason)s"),
    "no_answer_for_address": N_("The transport gave no answer for this address."),
    "gave_up": N_("Gave up after %(attempts)d attempts: %(reason)s"),
    "no_answer": N_("no answer"),
    "unexpected_retry": N_(
        "Sending failed because of an unexpected error (%(reason)s); trying again later."
    ),
    "unexpected_final": N_(
        "Sending failed %(attempts)d times because of an unexpected error (%(reason)s); "
        "stopped trying. Check the addresses, or ask support for help."
    ),
    "worker_failed": N_("The worker stopped on an error while sending: %(reason)s"),
    "address_failed": N_("For %(address)s: %(reason)s"),
    # Own mailbox (porto.mail.transports.smtp).
    "smtp_session_failed": N_("Sending through your SMTP server failed: %(reason)s"),
    "smtp_disconnected": N_("%(where)s closed the connection before accepting the email."),
    "smtp_connection_failed": N_("The connection to %(where)s failed (%(reason)s)."),
    "smtp_no_smtputf8": N_(
        "%(where)s does not accept addresses with accents or other non-ASCII letters before "
        "the @ (SMTPUTF8): use another address for this recipient."
    ),
    "smtp_sender_refused": N_(
        "The SMTP server refused the sender address %(sender)s (%(code)d %(reply)s)."
    ),
    "smtp_message_refused": N_("%(where)s refused the message itself (%(code)d %(reply)s)."),
    "smtp_message_too_big": N_(
        "%(where)s refused the message as too large (%(code)d %(reply)s): send smaller "
        "attachments or fewer of them."
    ),
    "smtp_timeout": N_("%(where)s did not answer within %(seconds)d seconds."),
    "smtp_reply_lost": N_(
        "The whole message was sent to %(where)s, but its answer never came (%(reason)s): the "
        "email may have arrived."
    ),
    "smtp_no_reply_within": N_("no answer within %(seconds)s seconds"),
    "smtp_reply_connection_lost": N_("the connection was lost"),
    # The platform's provider (porto.mail.transports.provider).
    "provider_unsendable": N_("%(provider)s cannot send this email as Porto built it: %(reason)s"),
    "provider_unusable": N_("The email provider could not be used (%(reason)s)."),
    "provider_settings": N_(
        "Porto's settings for %(provider)s are incomplete or wrong (%(reason)s): the server "
        "administrator must fix them. This email was not sent; send it again afterwards."
    ),
    "provider_no_report": N_("The email provider did not report on this address."),
    "provider_refused_address": N_(
        "The email provider refused this address (%(status)s): it bounced or complained "
        "before, or it is not a valid address."
    ),
    "provider_not_sent_to_address": N_(
        "The email provider could not send to this address (%(status)s)."
    ),
    "provider_credentials": N_(
        "%(provider)s refused Porto's credentials (%(reason)s): the API key in the server "
        "settings must be fixed. This email was not sent; send it again afterwards."
    ),
    "provider_key_refused": N_(
        "%(provider)s refused Porto's credentials (%(reason)s): the API key in the server "
        "settings must be fixed."
    ),
    "provider_busy": N_("The email provider is not reachable or busy (%(reason)s)."),
    "provider_refused_email": N_(
        "The email provider refused the email (HTTP %(code)d): %(reason)s"
    ),
    # Bulk sends (porto.mail.requests): documents not queued.
    "document_missing": N_("This document does not exist."),
    "document_not_sendable": N_("This document cannot be sent: %(problems)s"),
}

# The sentences rows stored before codes start with ("lead (server words)").
LEGACY_LEADS = (
    MAILBOX_MISSING,
    HARD_BOUNCE,
    ADDRESS_SYNTAX,
    DOMAIN_MISSING,
    MAILBOX_FULL,
    MAILBOX_DISABLED,
    TOO_LARGE,
    CONTENT_REFUSED,
    POLICY,
    UNREACHABLE,
    TRY_LATER,
    REFUSED,
    INVALID_ADDRESS,
    SUPPRESSED,
    BAD_CONTENT,
    PROVIDER_REFUSED,
    NOT_SENT,
    HELD,
    HELD_OTHER,
    COMPLAINED,
)
SERVER = "server"  # the parameter holding the server's own words
# A sentence worded by another module (e.g. ``porto.lib.smtp``), stored as its msgid and
# parameters so that it, too, is said in the reader's language.
MESSAGE = "message"


@dataclass(frozen=True)
class Reason:
    """A reason as the worker writes it: a code of ``SENTENCES`` and its parameters."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in SENTENCES and self.code != MESSAGE:
            raise ValueError(f"unknown reason code {self.code!r}")

    def as_stored(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


def reason_stored(code: str, /, **params: Any) -> dict[str, Any]:
    """``Reason(code, params).as_stored()``: what the writers put in a JSON field."""
    return Reason(code, params).as_stored()


def reason_message(msgid: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A sentence marked for translation elsewhere (``msgid`` with its ``%(name)s``
    parameters), stored so that it is rendered in the reader's language."""
    return Reason(MESSAGE, {"msgid": msgid, "params": dict(params)}).as_stored()


def reason_render(stored: object) -> str:
    """A stored reason in the active language: its sentence translated, the server's words
    kept. A list renders one reason a line; an unknown code or plain text (rows stored before
    codes) is shown as stored."""
    if isinstance(stored, list):
        return "\n".join(reason_render(item) for item in stored)
    if not _is_coded(stored):
        return _legacy_render(stored)
    assert isinstance(stored, Mapping)
    params = stored.get("params")
    params = params if isinstance(params, Mapping) else {}
    code = stored["code"]
    if code == MESSAGE:
        return _message_render(params)
    if code not in SENTENCES:
        return _as_stored(code, params)
    shown = {name: _param_render(value) for name, value in params.items()}
    try:
        text = _(SENTENCES[code]) % shown
    except (KeyError, TypeError, ValueError):  # a row whose parameters no longer fit
        return _as_stored(code, params)
    server = params.get(SERVER)
    return f"{text} ({server})" if server else text


def _message_render(params: Mapping) -> str:
    msgid = str(params.get("msgid") or "")
    values = params.get("params")
    values = values if isinstance(values, Mapping) else {}
    try:
        return _(msgid) % {name: _param_render(value) for name, value in values.items()}
    except (KeyError, TypeError, ValueError):  # a sentence whose parameters no longer fit
        return msgid


def _legacy_render(stored: object) -> str:
    """Plain text from before codes: an English refusal sentence at its start is still
    translated (the server's words after it kept), anything else is shown as stored."""
    text = "" if stored is None else str(stored)
    for code in LEGACY_LEADS:
        sentence = SENTENCES[code]
        if text.startswith(sentence):
            return _(sentence) + text[len(sentence) :]
    return text


def _is_coded(stored: object) -> bool:
    return isinstance(stored, Mapping) and isinstance(stored.get("code"), str)


def _param_render(value: object) -> object:
    if _is_coded(value) or isinstance(value, list):
        return reason_render(value)
    if isinstance(value, Mapping):  # a text per language, written where no code fits
        language = get_language() or "en"
        return value.get(language[:2]) or value.get("en") or next(iter(value.values()), "")
    return value


def _as_stored(code: str, params: Mapping) -> str:
    words = ", ".join(f"{name}: {value}" for name, value in params.items())
    return f"{code} ({words})" if words else code


# Enhanced status codes (RFC 3463), without their class digit: "1.1" matches 4.1.1 and 5.1.1.
ENHANCED_CODES = {
    "1.1": MAILBOX_MISSING,
    "1.10": MAILBOX_MISSING,
    "1.2": DOMAIN_MISSING,
    "1.3": ADDRESS_SYNTAX,
    "2.1": MAILBOX_DISABLED,
    "2.2": MAILBOX_FULL,
    "2.3": TOO_LARGE,
    "3.4": TOO_LARGE,
    "4.1": UNREACHABLE,
    "4.2": UNREACHABLE,
    "4.4": DOMAIN_MISSING,
    "4.7": UNREACHABLE,
}


def _patterns(table: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), lead) for pattern, lead in table)


# What the provider says about its own refusal, whatever the event is called: these win over
# the SMTP codes (a suppressed address names the code of the bounce that put it there).
PROVIDER_PATTERNS = _patterns(
    (
        # Amazon SES / Resend sub-types Suppressed and OnAccountSuppressionList, Mailgun
        # "suppress-bounce", SendGrid "Bounced Address", Postmark "InactiveRecipient",
        # Mailjet "preblocked".
        (
            r"suppress|previously (hard )?bounced|bounced address|unsubscribed address|"
            r"spam reported address|inactive ?recipient|\bpreblocked\b",
            SUPPRESSED,
        ),
        (r"\bbad content\b|\bvirus\b", BAD_CONTENT),  # Amazon SES Reject
    )
)
# Words servers and providers use, when no enhanced code says it. First match wins.
TEXT_PATTERNS = _patterns(
    (
        # Amazon SES and Resend, Permanent/General: no reason given (the text goes on about
        # the sender's reputation, which is not the refusal's cause).
        (r"sent a hard bounce message", HARD_BOUNCE),
        (
            r"user unknown|unknown user|no such user|does not exist|doesn't exist|"
            r"mailbox unavailable|mailbox not found|recipient not found|invalid recipient|"
            r"unknown recipient",
            MAILBOX_MISSING,
        ),
        (
            r"no mx|host not found|domain not found|name service error|unable to find mx|"
            r"nxdomain|invalid domain|no mail host",
            DOMAIN_MISSING,
        ),
        (
            r"mailbox full|inbox (is|was) full|over quota|quota exceeded|insufficient storage",
            MAILBOX_FULL,
        ),
        (r"mailbox (is )?(disabled|inactive)|account (is )?(disabled|suspended)", MAILBOX_DISABLED),
        (r"too large|size limit|message size", TOO_LARGE),
        (
            r"content ?rejected|attachment ?rejected|doesn't accept messages that contain",
            CONTENT_REFUSED,
        ),
        (r"greylist|try again later|come back later|temporar", TRY_LATER),
        (r"\b[45]\.7\.\d+|spam|block|policy|dmarc|\bspf\b|dkim|reputation", POLICY),
        (r"timed? ?out|unable to connect|connection refused|could not connect", UNREACHABLE),
    )
)
# anymail's reject_reason for the provider's own refusal, when its words say nothing more.
REJECT_REASONS = {
    "invalid": INVALID_ADDRESS,
    "bounced": SUPPRESSED,
    "spam": SUPPRESSED,
    "unsubscribed": SUPPRESSED,
    "blocked": PROVIDER_REFUSED,
    "timed_out": UNREACHABLE,
}


def server_text_clean(text: object) -> str:
    """One line, without the "smtp;" prefix some servers add, at most 300 characters."""
    cleaned = " ".join(str(text or "").split())
    cleaned = re.sub(r"^(smtp|x-postfix);\s*", "", cleaned, flags=re.IGNORECASE)
    if len(cleaned) > _MAX_SERVER_TEXT:
        cleaned = cleaned[: _MAX_SERVER_TEXT - 1] + "…"
    return cleaned


def smtp_code(text: str, basic: object = None, enhanced: object = None) -> str:
    """ "550 5.1.1" from structured fields when given, else from the server's text."""
    basic_code = str(basic or "").strip()
    if not basic_code and (match := _BASIC_CODE.search(text)):
        basic_code = match.group(1)
    enhanced_code = str(enhanced or "").strip()
    if not enhanced_code and (found := _ENHANCED_CODE.search(text)):
        enhanced_code = f"{found.group(1)}.{found.group(2)}"
    return " ".join(part for part in (basic_code, enhanced_code) if part)


class Refusal(StrEnum):
    """Who stopped the email: shapes the sentence when the server's words say little."""

    DELAY = "delay"  # a temporary refusal: the provider tries again
    BOUNCE = "bounce"  # the recipient's server refused it
    FAILURE = "failure"  # the provider could not send it
    REJECTION = "rejection"  # the provider would not send it (suppression list, invalid)


def _first_match(patterns, text: str, *, transient: bool = False) -> str | None:
    for pattern, lead in patterns:
        if pattern.search(text) and not (lead == POLICY and transient):
            return lead
    return None


def _lead(text: str, code: str, refusal: Refusal, reject_reason: str | None) -> str:
    if provider_lead := _first_match(PROVIDER_PATTERNS, text):
        return provider_lead
    if refusal == Refusal.REJECTION:  # never offered to the recipient's server
        return REJECT_REASONS.get(reject_reason or "", PROVIDER_REFUSED)
    found = _ENHANCED_CODE.search(code) or _ENHANCED_CODE.search(text)
    if found and found.group(2) in ENHANCED_CODES:
        return ENHANCED_CODES[found.group(2)]
    # 4.7.x is "try later" (greylisting, rate limits); 5.7.x is a policy refusal.
    transient = found is not None and found.group(1) == "4"
    if found and found.group(2).startswith("7.") and not transient:
        return POLICY
    if text_lead := _first_match(TEXT_PATTERNS, text, transient=transient):
        return text_lead
    if refusal == Refusal.DELAY:
        return TRY_LATER
    if refusal == Refusal.BOUNCE or code:
        return REFUSED
    return NOT_SENT


def failure_describe(
    server_text: object,
    *,
    refusal: Refusal,
    reject_reason: str | None = None,
    basic_code: object = None,
    enhanced_code: object = None,
) -> tuple[dict[str, Any], str]:
    """``(stored reason, SMTP code)`` of a refusal or a delay: the code of what a person can do
    about it, with the server's words (and its code, when the words lack it) as ``server``."""
    text = server_text_clean(server_text)
    code = smtp_code(text, basic_code, enhanced_code)
    lead = _lead(text, code, refusal, reject_reason)
    missing = [part for part in code.split() if part not in text]
    server = " ".join([*missing, text]) if text else code
    return (reason_stored(lead, server=server) if server else reason_stored(lead)), code


def held_reason(provider_detail: str) -> dict[str, Any]:
    """A provider's hold: Postal holds a message for an address on its suppression list, a
    credential set to hold, its send limit or development mode."""
    lead = HELD if "suppression list" in provider_detail.lower() else HELD_OTHER
    text = server_text_clean(provider_detail)
    return reason_stored(lead, server=text) if text else reason_stored(lead)

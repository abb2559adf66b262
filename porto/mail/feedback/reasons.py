"""A server's or provider's refusal in plain words, with the server's own code and text.

Who refused matters to the reader: the provider's own refusals (its suppression list, an
address it finds invalid, content it will not carry) are worded as the provider's, never as
the recipient's server's.

"The recipient's server says the mailbox does not exist (550 5.1.1 User unknown)": the lead
sentence says what a person can do about it; the bracket keeps the server's words for support.
"""

import re
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

_BASIC_CODE = re.compile(r"(?<![\d.])([245]\d\d)(?![\d.])")
_ENHANCED_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3}\.\d{1,3})(?![\d.])")
_MAX_SERVER_TEXT = 300

MAILBOX_MISSING = N_("The recipient's server says the mailbox does not exist")
HARD_BOUNCE = N_(
    "The recipient's server refused the address for good without saying why; it most likely "
    "does not exist: check it for typos"
)
ADDRESS_SYNTAX = N_("The recipient's server says the address is not valid: check it for typos")
DOMAIN_MISSING = N_("The recipient's domain does not receive email: check the address for typos")
MAILBOX_FULL = N_("The recipient's mailbox is full")
MAILBOX_DISABLED = N_("The recipient's mailbox is disabled")
TOO_LARGE = N_("The email is too large for the recipient's server")
CONTENT_REFUSED = N_("The recipient's server refused the content or an attachment of the email")
POLICY = N_("The recipient's server refused the email as a policy decision (spam or sender checks)")
UNREACHABLE = N_("The recipient's server could not be reached")
TRY_LATER = N_("The recipient's server asked to try again later")
REFUSED = N_("The recipient's server refused the email")
# The provider's own refusals: it never offered the email to the recipient's server.
INVALID_ADDRESS = N_(
    "The provider refused to send it: the address is not valid; check it for typos"
)
SUPPRESSED = N_(
    "The provider refused to send it: the address is on its suppression list after an earlier "
    "bounce or complaint"
)
BAD_CONTENT = N_(
    "The provider refused to send it: it found a virus or harmful content in the email or an "
    "attachment"
)
PROVIDER_REFUSED = N_("The provider refused to send the email")
NOT_SENT = N_("The provider could not send the email")
HELD = N_("Held: on the provider's suppression list")
HELD_OTHER = N_("Held by the provider instead of sent (its hold rules or sending limit)")
COMPLAINED = N_("The recipient marked the email as spam")

# Every lead, stored in English and rendered in the reader's language by ``reason_render``.
LEADS = (
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
) -> tuple[str, str]:
    """``(reason, SMTP code)`` of a refusal or a delay.

    The reason is stored in English (one of ``LEADS``, then the server's words) and shown
    with ``reason_render`` in the reader's language."""
    text = server_text_clean(server_text)
    code = smtp_code(text, basic_code, enhanced_code)
    lead = _lead(text, code, refusal, reject_reason)
    if not text:
        return (f"{lead} ({code})" if code else lead), code
    missing = [part for part in code.split() if part not in text]
    return f"{lead} ({' '.join([*missing, text])})", code


def held_reason(provider_detail: str) -> str:
    """A provider's hold in plain words (stored form): Postal holds a message for an address
    on its suppression list, a credential set to hold, its send limit or development mode."""
    lead = HELD if "suppression list" in provider_detail.lower() else HELD_OTHER
    text = server_text_clean(provider_detail)
    return f"{lead} ({text})" if text else lead


def reason_render(stored: str) -> str:
    """A stored reason in the active language: its lead translated, the server's words kept.
    Anything else (an older or free-form reason) is shown as stored."""
    for lead in LEADS:
        if stored.startswith(lead):
            return _(lead) + stored[len(lead) :]
    return stored

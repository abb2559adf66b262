"""A server's or provider's refusal in plain words, with the server's own code and text.

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
DOMAIN_MISSING = N_("The recipient's domain does not receive email: check the address for typos")
MAILBOX_FULL = N_("The recipient's mailbox is full")
MAILBOX_DISABLED = N_("The recipient's mailbox is disabled")
TOO_LARGE = N_("The email is too large for the recipient's server")
POLICY = N_("The recipient's server refused the email as a policy decision (spam or sender checks)")
UNREACHABLE = N_("The recipient's server could not be reached")
TRY_LATER = N_("The recipient's server asked to try again later")
INVALID_ADDRESS = N_("The address is not valid: check it for typos")
SUPPRESSED = N_(
    "The provider did not send it: the address is blocked after an earlier bounce or complaint"
)
REFUSED = N_("The recipient's server refused the email")
NOT_SENT = N_("The provider could not send the email")
COMPLAINED = N_("The recipient marked the email as spam")

# Enhanced status codes (RFC 3463), without their class digit: "1.1" matches 4.1.1 and 5.1.1.
ENHANCED_CODES = {
    "1.1": MAILBOX_MISSING,
    "1.10": MAILBOX_MISSING,
    "1.2": DOMAIN_MISSING,
    "1.3": INVALID_ADDRESS,
    "2.1": MAILBOX_DISABLED,
    "2.2": MAILBOX_FULL,
    "2.3": TOO_LARGE,
    "3.4": TOO_LARGE,
    "4.1": UNREACHABLE,
    "4.2": UNREACHABLE,
    "4.4": DOMAIN_MISSING,
    "4.7": UNREACHABLE,
}
# Words servers and providers use, when no enhanced code says it. First match wins.
TEXT_PATTERNS = tuple(
    (re.compile(pattern, re.IGNORECASE), lead)
    for pattern, lead in (
        (
            r"user unknown|unknown user|no such user|does not exist|mailbox unavailable|"
            r"mailbox not found|recipient not found|invalid recipient|unknown recipient",
            MAILBOX_MISSING,
        ),
        (
            r"no mx|host not found|domain not found|name service error|unable to find mx|"
            r"nxdomain|invalid domain|no mail host",
            DOMAIN_MISSING,
        ),
        (r"mailbox full|over quota|quota exceeded|insufficient storage", MAILBOX_FULL),
        (r"mailbox (is )?(disabled|inactive)|account (is )?(disabled|suspended)", MAILBOX_DISABLED),
        (r"too large|size limit|message size", TOO_LARGE),
        (r"greylist|try again later|come back later|temporar", TRY_LATER),
        (r"\b[45]\.7\.\d+|spam|block|policy|dmarc|\bspf\b|dkim|reputation", POLICY),
        (r"timed? ?out|unable to connect|connection refused|could not connect", UNREACHABLE),
    )
)
# anymail's reject_reason when the server said nothing.
REJECT_REASONS = {
    "invalid": INVALID_ADDRESS,
    "bounced": SUPPRESSED,
    "blocked": SUPPRESSED,
    "spam": SUPPRESSED,
    "unsubscribed": SUPPRESSED,
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


def _lead(text: str, code: str, refusal: Refusal, reject_reason: str | None) -> str:
    found = _ENHANCED_CODE.search(code) or _ENHANCED_CODE.search(text)
    if found and found.group(2) in ENHANCED_CODES:
        return ENHANCED_CODES[found.group(2)]
    # 4.7.x is "try later" (greylisting, rate limits); 5.7.x is a policy refusal.
    transient = found is not None and found.group(1) == "4"
    if found and found.group(2).startswith("7.") and not transient:
        return POLICY
    for pattern, lead in TEXT_PATTERNS:
        if pattern.search(text) and not (lead == POLICY and transient):
            return lead
    if refusal == Refusal.DELAY:
        return TRY_LATER
    if refusal == Refusal.REJECTION and reject_reason in REJECT_REASONS:
        return REJECT_REASONS[reject_reason]
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
    """``(reason in plain words, SMTP code)`` of a refusal or a delay."""
    text = server_text_clean(server_text)
    code = smtp_code(text, basic_code, enhanced_code)
    lead = _(_lead(text, code, refusal, reject_reason))
    if not text:
        return (f"{lead} ({code})" if code else lead), code
    missing = [part for part in code.split() if part not in text]
    return f"{lead} ({' '.join([*missing, text])})", code

"""The limits of one email, in one table. The checks, the send form and the browser (the pop-up
renders ``browser_limits``) read them here, so every door refuses the same input with the same
words. Imports nothing of ours but ``porto.lib``: ``porto.mail.checks`` reads these too. The
body's limit lives in ``porto.lib.text``, where the email texts read it too."""

from decimal import ROUND_HALF_UP, Decimal
from math import ceil

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from porto.lib.text import BODY_TOO_LONG, MAX_BODY_CHARS

MAX_RECIPIENTS = 50
MAX_SUBJECT_CHARS = 255
# A recipient's or sender's display name, as stored on the email (``Recipient.name``).
MAX_DISPLAY_NAME_CHARS = 200
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# The size of the whole message as it travels (``encoded_size``), not the files' raw bytes:
# servers refuse a message by the bytes they receive, and base64 makes files a third larger.
MAX_TOTAL_BYTES = 25 * 1024 * 1024
# What a message holds besides its files' encoded bytes: headers, the text and HTML bodies
# and every part's own headers, counted generously (see ``message_size``).
MESSAGE_OVERHEAD_BYTES = 8 * 1024
# The largest request body a send may have (the pop-up's POST, the API's multipart body): the
# files and what comes with them. Past it the upload is not read (``porto.mail.send.uploads``).
MAX_UPLOAD_BYTES = MAX_TOTAL_BYTES + 1024 * 1024
PART_OVERHEAD_BYTES = 512
BASE64_LINE_CHARS = 76

# Extensions refused whatever the content: they can run programs or scripts when opened.
BLOCKED_EXTENSIONS = {
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".js", ".jse", ".vbs",
    ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".jar", ".app", ".dmg", ".sh", ".lnk", ".hta",
    ".cpl", ".reg", ".iso", ".img", ".apk", ".html", ".htm", ".svg", ".docm", ".xlsm",
    ".pptm",
}  # fmt: skip

# The messages of the limits, with %(name)s placeholders that Python and send.js both fill.
MESSAGES: dict[str, Promise] = {
    "no_recipient": _("Add at least one recipient in To."),
    "too_many_recipients": _(
        "An email can have at most %(max)d recipients; this one has %(count)d."
    ),
    "no_subject": _("Give the email a subject."),
    "subject_too_long": _("The subject has %(count)d characters; keep it under %(max)d."),
    "no_body": _("Write a message: the body cannot be empty."),
    "body_too_long": BODY_TOO_LONG,
    "display_name_too_long": _(
        "The name in %(value)s has %(count)d characters; keep it under %(max)d, or give "
        "the address alone."
    ),
    "too_many_attachments": _(
        "You added %(count)d attachments; an email can have at most %(max)d."
    ),
    "attachment_too_big": _("%(name)s is %(size)s; an attachment can be at most %(max)s."),
    "attachments_too_big": _(
        "With its attachments the email would be %(size)s; the limit is %(max)s. Send some "
        "files in a separate email."
    ),
    "blocked_extension": _(
        "%(name)s cannot be attached: %(ext)s files can run programs or scripts."
    ),
}


# The stable code of each limit, as the API names it (the keys above are send.js's).
CODES: dict[str, str] = {
    "no_recipient": "recipient_missing",
    "too_many_recipients": "too_many_recipients",
    "no_subject": "subject_missing",
    "subject_too_long": "subject_too_long",
    "no_body": "body_missing",
    "body_too_long": "body_too_long",
    "too_many_attachments": "too_many_attachments",
    "attachment_too_big": "attachment_too_large",
    "attachments_too_big": "attachments_too_large",
    "blocked_extension": "attachment_type_refused",
}


def limit_message(key: str, **values: object) -> str:
    return str(MESSAGES[key]) % values


UNITS: dict[str, Promise] = {
    "MB": _("%(size)s MB"),
    "KB": _("%(size)s KB"),
}


def human_size(size: int) -> str:
    """A file's size as the pop-up shows it (send.js ``size`` writes the same)."""
    if size >= 1024 * 1024:
        return str(UNITS["MB"]) % {"size": _half_up(Decimal(size) / 1024 / 1024, "0.01")}
    return str(UNITS["KB"]) % {"size": _half_up(Decimal(size) / 1024, "1")}


def _half_up(value: Decimal, step: str) -> Decimal:
    # Halves round up, as JavaScript's toFixed and Math.round do: both sides print one size.
    return value.quantize(Decimal(step), rounding=ROUND_HALF_UP)


def size_limit(size: int) -> str:
    """A limit in whole megabytes: "5 MB"."""
    return str(UNITS["MB"]) % {"size": size // (1024 * 1024)}


def encoded_size(size: int) -> int:
    """The bytes a file of ``size`` bytes takes in the message: base64 makes 4 characters of
    every 3 bytes, in lines of 76 characters, each ending with CRLF."""
    chars = 4 * ceil(size / 3)
    return chars + 2 * ceil(chars / BASE64_LINE_CHARS)


def message_size(file_sizes: list[int], text_bytes: int = 0, html_bytes: int = 0) -> int:
    """The size the message would have with files of ``file_sizes`` bytes, a plain-text body
    of ``text_bytes`` (quoted-printable: at most 3 bytes a byte plus soft line breaks, counted
    as 4) and an HTML body of ``html_bytes`` (never longer than base64): never less than what
    ``porto.mail.compose`` builds."""
    files = sum(encoded_size(size) + PART_OVERHEAD_BYTES for size in file_sizes)
    return MESSAGE_OVERHEAD_BYTES + 4 * text_bytes + encoded_size(html_bytes) + files


def browser_limits() -> dict:
    """The limits and their messages in the current language, for ``json_script``."""
    return {
        "max_recipients": MAX_RECIPIENTS,
        "max_subject_chars": MAX_SUBJECT_CHARS,
        "max_body_chars": MAX_BODY_CHARS,
        "max_attachments": MAX_ATTACHMENTS,
        "max_attachment_bytes": MAX_ATTACHMENT_BYTES,
        "max_total_bytes": MAX_TOTAL_BYTES,
        "message_overhead_bytes": MESSAGE_OVERHEAD_BYTES,
        "part_overhead_bytes": PART_OVERHEAD_BYTES,
        "base64_line_chars": BASE64_LINE_CHARS,
        "max_attachment_size": size_limit(MAX_ATTACHMENT_BYTES),
        "max_total_size": size_limit(MAX_TOTAL_BYTES),
        "blocked_extensions": sorted(BLOCKED_EXTENSIONS),
        "messages": {key: str(message) for key, message in MESSAGES.items()},
        "units": {key: str(unit) for key, unit in UNITS.items()},
    }

"""Reading a received message as a mail client would. Pure functions over the raw bytes.

Received mail can be malformed in every way; nothing here raises for a bad header, charset
or part: the fallback is the raw text, or nothing. A MIME tree nested deeper than
``MAX_MIME_DEPTH`` (the stdlib reads and walks it by recursion, and would fail) is read for its
headers only: its parts stay in the original message, which downloads as received.
"""

import base64
import datetime
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import PurePosixPath, PureWindowsPath

COMPANY_HEADER = "X-Porto-Company"
EMAIL_HEADER = "X-Porto-Email"
# Real mail nests a few levels (mixed > related > alternative); a deeper tree is an attack.
MAX_MIME_DEPTH = 32


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    content: bytes
    content_id: str

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class Summary:
    """What the inbox list shows, taken once when the message arrives."""

    subject: str
    from_header: str
    to_header: str
    date: datetime.datetime | None
    message_id: str
    company_id: int | None
    email_id: int | None
    attachment_count: int


def parse(raw: bytes) -> EmailMessage:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:  # nested past what the stdlib's recursive parser can read
        return headers_only(raw)
    assert isinstance(message, EmailMessage)
    return headers_only(raw) if mime_depth(message) > MAX_MIME_DEPTH else message


def headers_only(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    assert isinstance(message, EmailMessage)
    return message


def mime_depth(message: Message) -> int:
    """How deep the parts of ``message`` nest, counted without recursion."""
    deepest = 0
    stack = [(message, 1)]
    while stack:
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        if part.is_multipart() and depth <= MAX_MIME_DEPTH:
            children = part.get_payload()
            stack.extend((child, depth + 1) for child in children if isinstance(child, Message))
    return deepest


def header(message: Message, name: str) -> str:
    """The decoded header value, or its raw text when it cannot be decoded."""
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except Exception:  # the stdlib header parser fails on some malformed values
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
        return " ".join(str(raw).split())


def headers(message: Message) -> list[tuple[str, str]]:
    return [(name, header_value(message, name, value)) for name, value in message.raw_items()]


def header_value(message: Message, name: str, raw: str) -> str:
    try:
        return str(message.policy.header_fetch_parse(name, raw))  # type: ignore[attr-defined]
    except Exception:
        return " ".join(str(raw).split())


def summarize(raw: bytes) -> Summary:
    message = parse(raw)
    return Summary(
        subject=storable(header(message, "Subject")),
        from_header=storable(header(message, "From")),
        to_header=storable(header(message, "To")),
        date=parse_date(header(message, "Date")),
        message_id=storable("".join(header(message, "Message-ID").split())),
        company_id=positive_int(header(message, COMPANY_HEADER)),
        email_id=positive_int(header(message, EMAIL_HEADER)),
        attachment_count=len(attachments(message)),
    )


def storable(text: str) -> str:
    """``text`` with each NUL shown as U+FFFD: PostgreSQL cannot store a NUL in a text column
    (the message's raw bytes keep it)."""
    return text.replace("\x00", "\ufffd")


def parse_date(value: str) -> datetime.datetime | None:
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=datetime.UTC)
    return date


def positive_int(value: str) -> int | None:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value) or None


def body_part(message: EmailMessage, subtype: str) -> EmailMessage | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
    except Exception:
        return None
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    return part  # type: ignore[return-value]


def text_of(part: Message | None) -> str:
    if part is None:
        return ""
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except Exception:  # unknown charset, broken transfer encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def attachments(message: EmailMessage) -> list[Attachment]:
    """Every leaf part other than the text and HTML bodies shown, in message order."""
    shown = {id(p) for p in (body_part(message, "plain"), body_part(message, "html")) if p}
    found: list[Attachment] = []
    for part in message.walk():
        if part.get_content_maintype() == "multipart" or id(part) in shown:
            continue  # a container, or one read for its headers only (``headers_only``)
        found.append(attachment_of(part, index=len(found)))
    return found


def attachment_of(part: Message, index: int) -> Attachment:
    payload = part.get_payload(decode=True)
    content_type = part.get_content_type()
    return Attachment(
        index=index,
        filename=safe_filename(filename_of(part), index, content_type),
        content_type=content_type,
        content=payload if isinstance(payload, bytes) else b"",
        content_id=header(part, "Content-ID").strip().strip("<>"),
    )


def filename_of(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def safe_filename(name: str, index: int, content_type: str) -> str:
    """A plain file name: no folders, no control characters, never empty."""
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if name:
        return name[:200]
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"attachment-{index + 1}{extension}"


CID_REFERENCE = re.compile(r"cid:([^\"'\s)>]+)", re.IGNORECASE)


def html_with_inline_images(html: str, parts: list[Attachment]) -> str:
    """Replace ``cid:`` references with data URLs, as a mail client shows inline images."""
    images = {
        a.content_id: a for a in parts if a.content_id and a.content_type.startswith("image/")
    }

    def data_url(match: re.Match) -> str:
        image = images.get(match.group(1))
        if image is None:
            return match.group(0)
        encoded = base64.b64encode(image.content).decode("ascii")
        return f"data:{image.content_type};base64,{encoded}"

    return CID_REFERENCE.sub(data_url, html)

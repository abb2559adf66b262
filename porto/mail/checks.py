"""Checks on what a person puts in an email: header values, addresses, HTML and attachments.

Each check returns the cleaned value or raises ValidationError with a message that says what is
wrong and how to fix it.
"""

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from porto.lib import text
from porto.lib.headers import Mailbox, decoded_text, header_text, parse_mailbox
from porto.mail.send.limits import (  # noqa: F401 - the limits' home; read here by old callers
    BLOCKED_EXTENSIONS,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_DISPLAY_NAME_CHARS,
    MAX_RECIPIENTS,
    MAX_SUBJECT_CHARS,
    MAX_TOTAL_BYTES,
    human_size,
    limit_message,
    size_limit,
)
from porto.mail.send.pdfs import ActiveContent, PdfUnreadable, pdf_clean


def clean_header_text(value: str, what: str) -> str:
    """One line of header text, refused if it hides a line break (see ``porto.lib.headers``)."""
    return header_text(value, what)


def clean_mailbox(value: str) -> Mailbox:
    """``address`` or ``Name <address>``: exactly one, parsed strictly, its name short
    enough to be stored."""
    mailbox = parse_mailbox(value)
    if len(mailbox.name) > MAX_DISPLAY_NAME_CHARS:
        raise ValidationError(
            limit_message(
                "display_name_too_long",
                value=mailbox.address,
                count=len(mailbox.name),
                max=MAX_DISPLAY_NAME_CHARS,
            ),
            code="display_name_too_long",
        )
    return mailbox


def clean_body_text(value: str) -> str:
    """An email's plain-text body: line breaks and tabs, no other control character, at most
    ``MAX_BODY_CHARS`` characters."""
    text.clean_multi_line(value, _("message"))
    if len(value) > text.MAX_BODY_CHARS:
        raise ValidationError(text.body_too_long(len(value)), code="body_too_long")
    return value


# HTML bodies

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "form", "frame", "frameset", "applet"}


class _DangerFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in DANGEROUS_TAGS:
            self.found.add(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.add(_("%(name)s attributes") % {"name": name})
            if value and "javascript:" in re.sub(r"\s", "", value.lower()):
                self.found.add(_("javascript: links"))


def clean_html_body(html: str) -> str:
    """Refuse scripts and other active content; sanitise what is left with nh3. Plain
    paragraphs (what Porto writes from a text) come out as nh3 writes them without being
    parsed again: see ``_plain_paragraphs``."""
    if _plain_paragraphs(html):
        return _as_nh3_writes(html)
    finder = _DangerFinder()
    finder.feed(html)
    finder.close()
    if finder.found:
        raise ValidationError(
            _(
                "The HTML body contains %(what)s: emails cannot run scripts or embed pages. "
                "Remove them and send again."
            )
            % {"what": ", ".join(sorted(finder.found))},
            code="html_unsafe",
        )
    return nh3.clean(html, link_rel="noopener noreferrer")


# Paragraphs of plain text, as ``placeholders.render_html`` and Django's ``linebreaks`` write
# them: ``<p>``, text, ``<br>`` and a line feed between lines, ``</p>``, a line feed between
# paragraphs; the text escaped by ``html.escape``, so it holds no ``<`` nor ``>``, and ``&``
# only as one of five entities. nh3 (html5ever) parses such a body into the same paragraphs
# and writes it back unchanged except for three characters; nothing in it can be active.
# A character the parser would change or drop (CR, NUL and the other controls but tab and
# line feed) or could not take (a lone surrogate) sends the body through nh3.
_PLAIN_TEXT_REFUSED = re.compile(
    r"[<>\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]|&(?!(?:amp|lt|gt|quot|#x27);)"
)
_PLAIN_BREAKS = re.compile(r"<br>\n|</p>\n<p>")
_AS_NH3_WRITES = (("&quot;", '"'), ("&#x27;", "'"), ("\xa0", "&nbsp;"))


def _plain_paragraphs(html: str) -> bool:
    if not (html.startswith("<p>") and html.endswith("</p>")):
        return False
    return not any(_PLAIN_TEXT_REFUSED.search(t) for t in _PLAIN_BREAKS.split(html[3:-4]))


def _as_nh3_writes(html: str) -> str:
    for written, rewritten in _AS_NH3_WRITES:
        html = html.replace(written, rewritten)
    return html


# Attachments


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]
    label: str


PDF = FileType("application/pdf", (".pdf",), "PDF")
PNG = FileType("image/png", (".png",), N_("PNG image"))
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), N_("JPEG image"))
GIF = FileType("image/gif", (".gif",), N_("GIF image"))
WEBP = FileType("image/webp", (".webp",), N_("WebP image"))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "Word"
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "Excel"
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx",),
    "PowerPoint",
)
ODF = FileType("application/vnd.oasis.opendocument", (".odt", ".ods", ".odp"), "OpenDocument")
LEGACY_OFFICE = FileType(
    "application/vnd.ms-office", (".doc", ".xls", ".ppt", ".msg"), "Office (97-2003)"
)
XML = FileType("application/xml", (".xml",), "XML")
CSV = FileType("text/csv", (".csv",), "CSV")
TEXT = FileType("text/plain", (".txt", ".text", ".md", ".log"), "text")

ODF_TYPES = {
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
LEGACY_TYPES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".msg": "application/vnd.ms-outlook",
}

# Translated when a file is refused, in the reader's language (not at import).
EXECUTABLE_SIGNATURES = {
    b"MZ": N_("a Windows program"),
    b"\x7fELF": N_("a Linux program"),
    b"\xcf\xfa\xed\xfe": N_("a macOS program"),
    b"\xce\xfa\xed\xfe": N_("a macOS program"),
    b"\xca\xfe\xba\xbe": N_("a macOS or Java program"),
    b"#!": N_("a script"),
}
ARCHIVE_SIGNATURES = {
    b"Rar!": "RAR",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    content: bytes
    # Active content removed from a PDF (``porto.mail.send.pdfs``): the sender is told.
    removed: frozenset[ActiveContent] = frozenset()


MAX_FILENAME_CHARS = 200


def clean_filename(filename: str, size: int = 0) -> str:
    """The name the recipient will see: encoded-words decoded (``=?utf-8?q?a.exe?=.pdf`` is
    ``a.exe.pdf``), folders dropped (``C:\\Users\\x\\a.pdf`` is ``a.pdf``); refused when empty,
    too long, or holding a control or direction-changing character (``porto.lib.text``'s
    rules), since the name would then read otherwise than it is."""
    try:
        decoded = decoded_text(filename or "")
    except ValueError:
        raise ValidationError(
            _(
                "The file name %(name)s holds an encoded word (“=?…?=”) that cannot be read: "
                "rename the file and attach it again."
            )
            % {"name": text.without_invisible(filename)[:80]},
            code="attachment_name",
        ) from None
    name = decoded.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name.strip("."):  # "." and ".." name a folder, not a file
        raise ValidationError(
            _("A file of %(size)s has no name: give it a name and attach it again.")
            % {"size": human_size(size)},
            code="attachment_name",
        )
    invisible = text.invisible_character(name)
    if invisible is not None:
        raise ValidationError(_invisible_message(name, *invisible), code="attachment_name")
    if len(name) > MAX_FILENAME_CHARS:
        raise ValidationError(
            _(
                "The file name %(name)s has %(count)d characters; rename the file to at most "
                "%(max)d and attach it again."
            )
            % {"name": name[:80] + "…", "count": len(name), "max": MAX_FILENAME_CHARS},
            code="attachment_name",
        )
    return name


def _invisible_message(name: str, code: str, code_point: str) -> str:
    if code == "direction_override":
        message = _(
            "The file name %(name)s holds an invisible character that changes the reading "
            "direction (%(code)s), so it reads otherwise than it is: rename the file and "
            "attach it again."
        )
    else:
        message = _(
            "The file name %(name)s holds an invisible control character (%(code)s): rename "
            "the file and attach it again."
        )
    return message % {"name": text.without_invisible(name)[:80], "code": code_point}


def extension(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def sniff(content: bytes, ext: str) -> FileType | str:
    """The type the content really has, or why it is refused."""
    for signature, what in EXECUTABLE_SIGNATURES.items():
        if content.startswith(signature):
            return _(what)
    for signature, what in ARCHIVE_SIGNATURES.items():
        if content.startswith(signature):
            return _("a %(kind)s archive") % {"kind": what}
    binary = _sniff_binary(content, ext)
    if binary is not None:
        return binary
    return _sniff_text(content, ext)


def _sniff_binary(content: bytes, ext: str) -> FileType | str | None:
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return LEGACY_OFFICE
    if content.startswith(b"PK\x03\x04"):
        return _sniff_zip(content)
    return None


def _sniff_zip(content: bytes) -> FileType | str:
    try:
        names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    except zipfile.BadZipFile:
        return _("a damaged ZIP archive")
    if "[Content_Types].xml" in names:
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return _("an Office document with macros")
        for prefix, kind in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(n.startswith(prefix) for n in names):
                return kind
    if "mimetype" in names:
        return ODF
    return _("a ZIP archive (archives can hide programs)")


def _sniff_text(content: bytes, ext: str) -> FileType | str:
    if b"\x00" in content:
        return _("an unknown binary file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
            return _("an unknown binary file")
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html")) or "<script" in head:
        return _("an HTML page")
    if head.startswith("<?xml") or (head.startswith("<") and ext == ".xml"):
        return XML
    if ext == ".csv":
        return CSV
    return TEXT


def content_type_for(kind: FileType, ext: str) -> str:
    if kind is ODF:
        return ODF_TYPES[ext]
    if kind is LEGACY_OFFICE:
        return LEGACY_TYPES[ext]
    return kind.content_type


def clean_attachment(filename: str, content: bytes, size: int | None = None) -> CheckedFile:
    """``content`` checked as a file named ``filename``; ``size`` is the upload's real size
    when its bytes were not kept (an upload past the limit, ``porto.mail.send.uploads``)."""
    size = len(content) if size is None else size
    name = clean_filename(filename, size)
    ext = extension(name)
    blocked = _blocked_extension(name)
    if blocked:
        raise ValidationError(
            limit_message("blocked_extension", name=name, ext=blocked), code="attachment_type"
        )
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            limit_message(
                "attachment_too_big",
                name=name,
                size=human_size(size),
                max=size_limit(MAX_ATTACHMENT_BYTES),
            ),
            code="attachment_size",
        )
    if not content:
        raise ValidationError(
            _("%(name)s is empty: choose the file again.") % {"name": name},
            code="attachment_empty",
        )
    kind = sniff(content, ext)
    if isinstance(kind, str):
        raise ValidationError(
            _(
                "%(name)s is %(what)s, which cannot be attached. Attach PDF, images, office "
                "documents, text or XML."
            )
            % {"name": name, "what": kind},
            code="attachment_type",
        )
    if ext not in kind.extensions:
        raise ValidationError(
            _(
                "%(name)s is really a %(label)s file, not %(ext)s: rename it to %(expected)s or "
                "attach the right file."
            )
            % {
                "name": name,
                "label": _(kind.label),
                "ext": ext or _("a file without extension"),
                "expected": " / ".join(kind.extensions),
            },
            code="attachment_mismatch",
        )
    if kind is PDF:
        return _checked_pdf(name, content)
    return CheckedFile(filename=name, content_type=content_type_for(kind, ext), content=content)


def _blocked_extension(name: str) -> str:
    """The refused extension of ``name``, also one hidden before the last (``a.exe.pdf``):
    many mail programs hide the last extension, and the file then reads as a program."""
    parts = name.lower().split(".")[1:]
    return next((f".{part}" for part in reversed(parts) if f".{part}" in BLOCKED_EXTENSIONS), "")


def _checked_pdf(name: str, content: bytes) -> CheckedFile:
    try:
        clean = pdf_clean(content)
    except PdfUnreadable as error:
        if error.truncated:
            message = _(
                "%(name)s is cut off: its end is missing, so it cannot be opened. Download or "
                "export it again and attach the new file."
            )
        elif error.encrypted:
            message = _(
                "%(name)s opens only with a password, so Porto cannot check it and your client "
                "could not read it without the password. Save it without a password and attach "
                "it again."
            )
        else:
            message = _(
                "%(name)s starts like a PDF but cannot be read as one: it is damaged or is "
                "another kind of file. Open it to check, export it again as PDF and attach it."
            )
        raise ValidationError(message % {"name": name}, code="attachment_damaged") from error
    return CheckedFile(
        filename=name, content_type=PDF.content_type, content=clean.content, removed=clean.removed
    )


# What the sender is told about a PDF sent without its active content.
ACTIVE_CONTENT_WORDS = {
    ActiveContent.JAVASCRIPT: N_("scripts"),
    ActiveContent.LAUNCH: N_("a command that starts a program"),
    ActiveContent.EMBEDDED_FILES: N_("files hidden inside it"),
    ActiveContent.FORM_ACTIONS: N_("form actions"),
}


def removed_note(filename: str, removed: Iterable[str]) -> str:
    """ "Active content was removed from X.pdf (scripts): ..." in the current language, or ""
    when nothing was removed. ``removed``: ``ActiveContent`` values, as stored."""
    kinds = sorted(ActiveContent(kind) for kind in removed)
    if not kinds:
        return ""
    what = ", ".join(_(ACTIVE_CONTENT_WORDS[kind]) for kind in kinds)
    return _(
        "Active content was removed from %(name)s (%(what)s): the pages are sent unchanged, "
        "without anything that could run on your client's computer."
    ) % {"name": filename, "what": what}

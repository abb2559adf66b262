"""PDFs a person attaches: parsed whole, and sent without active content.

A PDF can carry more than pages: JavaScript (run on opening or on a click), an action that
starts a program (``/Launch``), files hidden inside it (``/EmbeddedFiles``, file-attachment
annotations) and form actions that send data away. A supplier's PDF form often has such
scripts for harmless reasons (totals, date pickers), so a person who attaches it wants it
sent, not refused: Porto removes the active content, keeps the pages, and says what it
removed (``CleanPdf.removed``). A file that does not parse to the end (truncated, damaged, or
something else wearing a ``.pdf`` name) is refused: the client could not open it either. So is
a file that asks for a password to open: Porto cannot look inside it, and the client would
need the password. (A file protected only against printing or editing opens without one: it
is read, and cleaned, like any other.)

Pure: bytes in, bytes and findings out; reads no row.
"""

import io
import logging
from dataclasses import dataclass
from enum import StrEnum

from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

# The end marker must be in the last kilobyte, as PDF readers require: a file without it
# was cut off (an interrupted download or upload).
EOF_MARKER = b"%%EOF"
EOF_WINDOW = 1024


class ActiveContent(StrEnum):
    """What Porto removes from a PDF, as the note to the sender names it."""

    JAVASCRIPT = "javascript"
    LAUNCH = "launch"
    EMBEDDED_FILES = "embedded_files"
    FORM_ACTIONS = "form_actions"


# Action types (``/S``) and what they are.
ACTIONS = {
    "/JavaScript": ActiveContent.JAVASCRIPT,
    "/Launch": ActiveContent.LAUNCH,
    "/SubmitForm": ActiveContent.FORM_ACTIONS,
    "/ImportData": ActiveContent.FORM_ACTIONS,
    "/RichMediaExecute": ActiveContent.JAVASCRIPT,
    "/GoToE": ActiveContent.EMBEDDED_FILES,
}
# Keys whose value is active content wherever they appear (name trees, file specifications,
# XFA forms, which carry their own scripts).
KEYS = {
    "/JavaScript": ActiveContent.JAVASCRIPT,
    "/JS": ActiveContent.JAVASCRIPT,
    "/EmbeddedFiles": ActiveContent.EMBEDDED_FILES,
    "/EF": ActiveContent.EMBEDDED_FILES,
    "/XFA": ActiveContent.FORM_ACTIONS,
}
# Annotations that carry a file or a player.
ANNOTATIONS = {
    "/FileAttachment": ActiveContent.EMBEDDED_FILES,
    "/RichMedia": ActiveContent.JAVASCRIPT,
    "/Movie": ActiveContent.EMBEDDED_FILES,
    "/Sound": ActiveContent.EMBEDDED_FILES,
}


class PdfUnreadable(Exception):
    """The file is not a whole PDF (``truncated`` when its end is missing), or it opens only
    with a password (``encrypted``)."""

    def __init__(self, truncated: bool, encrypted: bool = False) -> None:
        super().__init__("truncated" if truncated else "encrypted" if encrypted else "unreadable")
        self.truncated = truncated
        self.encrypted = encrypted


@dataclass(frozen=True)
class CleanPdf:
    content: bytes
    removed: frozenset[ActiveContent]


def pdf_clean(content: bytes) -> CleanPdf:
    """``content`` unchanged when it holds no active content; otherwise rewritten without it,
    with what was removed. Raises ``PdfUnreadable`` for a file that does not parse whole."""
    reader = _read(content)
    found = _walk(reader.trailer, remove=False)
    if not found:
        return CleanPdf(content, frozenset())
    writer = PdfWriter(clone_from=reader)
    _walk(writer.root_object, remove=True)
    output = io.BytesIO()
    writer.write(output)
    cleaned = output.getvalue()
    if _walk(_read(cleaned).trailer, remove=False):  # pragma: no cover - a pypdf regression
        raise PdfUnreadable(truncated=False)
    return CleanPdf(cleaned, frozenset(found))


def pdf_active_content(content: bytes) -> frozenset[ActiveContent]:
    """What active content ``content`` holds (for tests and checks of stored files)."""
    return frozenset(_walk(_read(content).trailer, remove=False))


def _read(content: bytes) -> PdfReader:
    if EOF_MARKER not in content[-EOF_WINDOW:]:
        raise PdfUnreadable(truncated=True)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings repeat what we refuse
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise PdfUnreadable(truncated=False, encrypted=True)
        for page in reader.pages:
            page.get_contents()
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise PdfUnreadable(truncated=False) from error
    return reader


def _resolve(value: PdfObject | None) -> PdfObject | None:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _danger(value: PdfObject | None) -> ActiveContent | None:
    """What ``value`` is, when it is an action or annotation Porto removes."""
    if not isinstance(value, DictionaryObject):
        return None
    return ACTIONS.get(str(value.get("/S", ""))) or ANNOTATIONS.get(str(value.get("/Subtype", "")))


def _walk(start: PdfObject, *, remove: bool) -> set[ActiveContent]:
    """Every kind of active content reachable from ``start``; with ``remove``, each is cut
    out of the dictionary or array that holds it."""
    found: set[ActiveContent] = set()
    seen: set[int] = set()
    stack: list[PdfObject | None] = [_resolve(start)]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, DictionaryObject):
            for key in list(node.keys()):
                value = _resolve(node[key])
                kind = KEYS.get(str(key)) or _danger(value)
                if kind is not None and str(key) not in ("/Parent", "/P"):
                    found.add(kind)
                    if remove:
                        del node[key]
                    continue
                if str(key) not in ("/Parent", "/P"):
                    stack.append(value)
        elif isinstance(node, ArrayObject):
            for index in reversed(range(len(node))):
                value = _resolve(node[index])
                kind = _danger(value)
                if kind is not None:
                    found.add(kind)
                    if remove:
                        del node[index]
                    continue
                stack.append(value)
    return found

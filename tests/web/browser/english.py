"""What counts as English on a page shown in Dutch or French.

Two nets. (1) The project's own English: every msgid in the code and templates (extracted with
xgettext, as ``makemessages`` does) and in ``locale/*/<lang>/*.po``; a text equal to one of them
(placeholders matching anything) is English unless that language's catalog translates it to
itself ("Peppol", "PDF"). (2) English-only words, as whole words, for text that never went
through gettext at all. Proper nouns and the test's own data are removed before the word check.
"""

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[3]
SOURCE_DIRS = ("porto", "templates")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
XGETTEXT_KEYWORDS = [
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
]

# Words no Dutch or French sentence contains, whole words, any case. Words that are also Dutch
# (status, details, of, kind, filter) or French (client, documents, message, date, total,
# page, transit, due) are only in the other language's list.
ENGLISH_WORDS = {
    "the",
    "and",
    "with",
    "your",
    "you",
    "has",
    "have",
    "been",
    "will",
    "would",
    "this",
    "that",
    "which",
    "from",
    "into",
    "here",
    "there",
    "not",
    "yet",
    "please",
    "send",
    "sent",
    "sending",
    "failed",
    "delivered",
    "unknown",
    "queued",
    "skipped",
    "done",
    "update",
    "download",
    "remove",
    "close",
    "cancel",
    "save",
    "delete",
    "settings",
    "email settings",
    "email texts",
    "text",
    "texts",
    "attachment",
    "attachments",
    "recipient",
    "recipients",
    "subject",
    "invoice",
    "invoices",
    "credit note",
    "quote",
    "quotes",
    "draft",
    "number",
    "amount",
    "language",
    "company",
    "password",
    "username",
    "address",
    "addresses",
    "new",
    "add",
    "search",
    "select",
    "selected",
    "overview",
    "preview",
    "sender",
    "reply",
    "copy",
    "opened",
    "timeline",
    "proof",
    "vat",
    "back",
    "next",
    "previous",
    "all",
    "none",
    "default",
    "skip",
    "content",
    "found",
    "log out",
    "switch",
    "read by",
    "in transit",
    "what",
    "why",
    "when",
    "because",
    "only",
    "each",
    "every",
}
ENGLISH_WORDS_BY_LANGUAGE = {
    "nl": {"clients", "client", "message", "messages", "total", "date", "page", "format", "due"},
    "fr": {"status", "details", "detail", "kind", "filter", "inbox"},
}
# Msgids that are already right in that language when left untranslated.
SAME_WORD = {
    "nl": {"Status", "Details", "Format", "Message-ID", "Filter", "Totaal"},
    "fr": {
        "Date",
        "Description",
        "Message-ID",
        "Documents",
        "Document",
        "Client",
        "Clients",
        "Format",
        "Total",
        "Page",
        "Message",
        "Type",
        "Transport",
        "Version",
    },
}
# A mail server's reply quoted after its code, "(550 5.1.1 User unknown)": the server's
# words, kept as evidence, never translated.
SERVER_REPLY = re.compile(r"\((?:[245]\d\d)(?: [245]\.\d{1,3}\.\d{1,3})?[^)]*\)")
# Names, standards and units that are the same in every language.
PROPER_NOUNS = [
    "Porto",
    "Peppol",
    "UBL",
    "PDF",
    "SMTP",
    "IMAP",
    "HTML",
    "IBAN",
    "BIC",
    "KBO",
    "BCE",
    "EN 16931",
    "Postmark",
    "Mailgun",
    "SendGrid",
    "Amazon SES",
    "Brevo",
    "Mailjet",
    "Resend",
    "SparkPost",
    "Postal",
    "Bird",
    "Sandbox",
    "Google",
    "Microsoft",
    "Gmail",
    "Outlook",
    "Apple",
    "Cc",
    "Bcc",
    "OK",
    "English",
    "Nederlands",
    "Français",
    "SHA-256",
    "MB",
    "KB",
]
PUNCTUATION = " :·-,;()\N{EM DASH}\N{EN DASH}"
# A placeholder a script fills in (``%(sent)s``): a name in the code, not words on the page.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|\S+\.(?:pdf|xml|png|gif)\b", re.IGNORECASE)


@dataclass
class Catalog:
    """English msgids, and per language the ones translated to themselves."""

    msgids: set[str] = field(default_factory=set)
    same_in: dict[str, set[str]] = field(default_factory=dict)

    def patterns(self, language: str) -> tuple[set[str], list[re.Pattern]]:
        same = {
            normal(m) for m in self.same_in.get(language, set()) | SAME_WORD.get(language, set())
        }
        english = {m for m in self.msgids if normal(m) not in same and has_words(m)}
        literal = {normal(m) for m in english if not PLACEHOLDER.search(m)}
        templated = [as_pattern(m) for m in english if PLACEHOLDER.search(m)]
        return literal, [p for p in templated if p is not None]


def normal(text: str) -> str:
    return " ".join(text.split()).strip(PUNCTUATION).lower()


def has_words(msgid: str) -> bool:
    """At least one word of three letters besides the placeholders: "%(n)s" alone says nothing."""
    return re.search(r"[A-Za-z]{3,}", PLACEHOLDER.sub("", msgid)) is not None


def as_pattern(msgid: str) -> re.Pattern | None:
    parts = PLACEHOLDER.split(normal(msgid))
    if sum(len(re.findall(r"[a-z]{2,}", p)) for p in parts) < 2:
        return None  # "%(n)s items" would match too much
    return re.compile(".+?".join(re.escape(p) for p in parts))


def po_entries(text: str):
    """(msgid, msgid_plural, first msgstr, fuzzy) of a .po/.pot file."""
    entry: dict[str, str] = {}
    key = ""
    fuzzy = False
    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if not line:
            if entry.get("msgid"):
                yield (
                    entry.get("msgid", ""),
                    entry.get("msgid_plural", ""),
                    entry.get("msgstr", entry.get("msgstr[0]", "")),
                    fuzzy,
                )
            entry, key, fuzzy = {}, "", False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] = entry.get(key, "") + unquote(line)
        else:
            key, _, value = line.partition(" ")
            entry[key] = unquote(value)


def unquote(value: str) -> str:
    return value.strip()[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def extracted_msgids() -> set[str]:
    """Every msgid of the code and templates, as makemessages would extract it."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for folder in SOURCE_DIRS:
            for path in sorted((ROOT / folder).rglob("*")):
                if path.suffix == ".py":
                    inputs.append(str(path))
                elif path.suffix in (".html", ".txt"):
                    out = Path(tmp) / (str(path.relative_to(ROOT)).replace("/", "__") + ".py")
                    out.write_text(templatize(path.read_text(), origin=str(path)))
                    inputs.append(str(out))
        pot = Path(tmp) / "all.pot"
        keywords = [f"--keyword={k}" for k in XGETTEXT_KEYWORDS]
        subprocess.run(
            [
                "xgettext",
                "--language=Python",
                "--from-code=UTF-8",
                "-o",
                str(pot),
                *keywords,
                *inputs,
            ],
            check=True,
            capture_output=True,
        )
        return {m for e in po_entries(pot.read_text()) for m in e[:2] if m}


def project_catalog() -> Catalog:
    catalog = Catalog(msgids=extracted_msgids())
    for po in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        language = po.parent.parent.name
        for msgid, plural, msgstr, fuzzy in po_entries(po.read_text()):
            catalog.msgids |= {msgid, plural} - {""}
            if msgstr == msgid and not fuzzy:
                catalog.same_in.setdefault(language, set()).add(msgid)
    return catalog


class EnglishDetector:
    def __init__(self, catalog: Catalog, language: str, data: list[str]):
        self.literal, self.templated = catalog.patterns(language)
        words = ENGLISH_WORDS | ENGLISH_WORDS_BY_LANGUAGE.get(language, set())
        self.words = re.compile(
            r"(?<![\w-])("
            + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
            + r")(?![\w-])",
            re.IGNORECASE,
        )
        # Longest first, so a client's full name goes before a part of it.
        self.removals = sorted(
            {d for d in data if d and len(d) > 1} | set(PROPER_NOUNS), key=len, reverse=True
        )

    def english_in(self, text: str) -> str:
        """Why ``text`` is English ("msgid" or the English words), or ""."""
        key = normal(text)
        if key in self.literal or any(p.fullmatch(key) for p in self.templated):
            return "an English msgid"
        rest = EMAIL_OR_URL.sub(" ", SERVER_REPLY.sub(" ", PLACEHOLDER.sub(" ", text)))
        for value in self.removals:
            rest = rest.replace(value, " ")
        found = sorted({m.lower() for m in self.words.findall(rest)})
        return ("English words: " + ", ".join(found)) if found else ""

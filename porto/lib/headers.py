"""Header values: checked once, then built, never pasted.

Every value that ends up in a header of an outgoing email (sender name, subject, display
names, file names, addresses) goes through ``header_text`` or ``parse_mailbox``. Both look at
the value *and* at what mail software would make of it: RFC 2047 encoded-words such as
``=?utf-8?q?Jan=0D=0ABcc:_x@y?=`` are decoded before the check, so a line break, NUL or other
control character hidden in one is found. ``header_text`` refuses such a value with a message
(input), or neutralises it (``neutralise=True``: rows already stored, just before sending).

Building: ``unstructured_value`` and ``mailbox_list_value`` write the raw header text
themselves. A value holding ``=?`` is encoded as a whole, so an encoded-word a person typed
reaches the reader as the literal text they typed, never decoded by us.

Addresses: one per entry, parsed strictly (``email.headerregistry``: any defect, a second
address, a group or an encoded-word is refused). Domains go out as IDNA (``xn--``); a local
part with letters outside ASCII (``josé@…``) needs SMTPUTF8 (RFC 6531) on the way out.
"""

import re
from dataclasses import dataclass
from email import errors
from email.header import Header, decode_header
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP

import idna
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from porto.lib.identifiers import clean_email_address

# C0 controls (CR, LF, NUL, ...) except TAB, DEL, C1 controls (NEL...), line/paragraph separators.
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# Never part of a checked address; removed from stored ones before they go on the wire.
_NOT_IN_ADDRESS = re.compile(r'[\s<>,;"()\\]')
# RFC 5322 specials: a display name holding one is written as a quoted string.
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?[^?]*\?=")
_ENCODED_WORD_START = "=?"
_HARMLESS_START = "= ?"
_LINESEP = "\r\n"
_ALLOWED_ADDRESS_DEFECTS = (errors.NonASCIILocalPartDefect,)
_registry = HeaderRegistry()

# Raw header values stay as built: never re-parsed (and so never decoded) on the way out.
OUTGOING = SMTP.clone(refold_source="none")
OUTGOING_UTF8 = OUTGOING.clone(utf8=True)


@dataclass(frozen=True)
class Mailbox:
    name: str
    address: str


# Checking text


def header_text(value: str, what: str = "", *, neutralise: bool = False) -> str:
    """``value`` on one line, safe in any header, stripped.

    Refuses (ValidationError, code ``header_injection``) a value holding a control character
    or an encoded-word that decodes to one; with ``neutralise`` such characters become spaces
    and such encoded-words lose their ``=?`` opening instead."""
    value = (value or "").replace("\t", " ")
    if is_header_safe(value):
        return value.strip()
    if not neutralise:
        raise _unsafe_text(value, what or _("text"))
    cleaned = _UNSAFE.sub(" ", value).replace(_ENCODED_WORD_START, _HARMLESS_START)
    return cleaned.strip()


def _unsafe_text(value: str, what: str) -> ValidationError:
    if _UNSAFE.search(value):
        message = _(
            "The %(what)s contains a line break or another control character: write it on one line."
        )
    else:
        message = _(
            "The %(what)s contains an encoded word (“=?…?=”) that hides a line break or "
            "another control character: write it as plain text."
        )
    return ValidationError(message % {"what": what}, code="header_injection")


def is_header_safe(value: str) -> bool:
    """No control character in ``value`` nor in any decoding of it; an encoded-word that
    cannot be decoded is not safe either (a lenient reader might still decode it)."""
    try:
        forms = decoded_forms(value)
    except (ValueError, LookupError, errors.HeaderParseError):
        return False
    return not any(_UNSAFE.search(form) for form in forms)


def decoded_forms(value: str) -> list[str]:
    """``value`` and every reading a mail program could make of its encoded-words; raises
    when one cannot be decoded."""
    if _ENCODED_WORD_START not in value:
        return [value]
    forms = [value, _decode_whole(value), _decode_unstructured(value)]
    forms += [_decode_whole(word) for word in _ENCODED_WORD.findall(value)]
    return forms


def decoded_text(value: str) -> str:
    """``value`` as a mail program shows it, its RFC 2047 encoded-words decoded: a file name
    ``=?utf-8?q?evil.exe?=.pdf`` reads ``evil.exe.pdf`` in many clients, so it is checked
    (and sent) as that. Raises ValueError when an encoded-word cannot be decoded."""
    if _ENCODED_WORD_START not in value:
        return value
    try:
        return _decode_whole(value)
    except (LookupError, errors.HeaderParseError) as error:
        raise ValueError(value) from error


def _decode_whole(value: str) -> str:
    parts = decode_header(value)
    return "".join(_part_text(text, charset) for text, charset in parts)


def _part_text(text: bytes | str, charset: str | None) -> str:
    if isinstance(text, str):
        return text
    try:
        return text.decode(charset or "ascii", "replace")
    except LookupError:
        return text.decode("latin-1")


def _decode_unstructured(value: str) -> str:
    return str(_registry("subject", value))


# Parsing addresses


def parse_mailbox(value: str) -> Mailbox:
    """One recipient entry: ``address`` or ``Name <address>``, nothing more, nothing less."""
    raw = (value or "").strip()
    if not is_header_safe(raw):
        raise ValidationError(
            _(
                "The recipient %(value)s contains a line break or a control character: give one address per entry."
            )
            % {"value": _shown(raw)},
            code="header_injection",
        )
    if _ENCODED_WORD_START in raw:
        raise ValidationError(
            _(
                "The recipient %(value)s contains an encoded word (“=?…?=”): type the name and "
                "the address as plain text."
            )
            % {"value": _shown(raw)},
            code="encoded_word",
        )
    name, address = _single_address(raw)
    return Mailbox(name=name.strip(), address=clean_email_address(address))


def _single_address(raw: str) -> tuple[str, str]:
    if raw and not any(ch in raw for ch in '<>,;:()"'):
        return "", raw  # a bare address: email-validator says precisely what is wrong with it
    try:
        parsed = _registry("to", raw)
        groups = parsed.groups  # type: ignore[attr-defined]
    except (ValueError, IndexError, errors.HeaderParseError):
        groups = ()
        parsed = None
    defects = [
        d for d in getattr(parsed, "defects", []) if not isinstance(d, _ALLOWED_ADDRESS_DEFECTS)
    ]
    if not raw or len(groups) != 1 or groups[0].display_name is not None or defects:
        raise _ambiguous(raw)
    addresses = groups[0].addresses
    if len(addresses) != 1 or not addresses[0].domain:
        raise _ambiguous(raw)
    return addresses[0].display_name, addresses[0].addr_spec


def _ambiguous(raw: str) -> ValidationError:
    return ValidationError(
        _(
            "%(value)s is not one email address: give one address per entry, like "
            "jan@example.com or Jan Peeters <jan@example.com>."
        )
        % {"value": _shown(raw) or "“”"},
        code="email",
    )


def _shown(raw: str) -> str:
    return _UNSAFE.sub(" ", raw)[:80]


# Comparing and sending addresses


def split_address(address: str) -> tuple[str, str]:
    local, _at, domain = address.rpartition("@")
    return local, domain


def ascii_domain(domain: str) -> str:
    """The domain as it goes on the wire: IDNA (``xn--``), lower case."""
    if domain.isascii():
        return domain.lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain.encode("idna").decode("ascii")


def envelope_address(address: str) -> str:
    """The address for MAIL FROM / RCPT TO and for headers: IDNA domain, local part as is.
    Addresses are checked on the way in; a row written some other way that could still split
    a header or a command raises ValueError (the email fails, nothing goes out)."""
    if _UNSAFE.search(address) or _NOT_IN_ADDRESS.search(address) or address.count("@") != 1:
        raise ValueError(
            _("%(address)s cannot be used as an email address.") % {"address": _shown(address)}
        )
    local, domain = split_address(address)
    return f"{local}@{ascii_domain(domain)}" if domain else address


def needs_smtputf8(address: str) -> bool:
    """A local part outside ASCII can travel only with SMTPUTF8 (RFC 6531)."""
    return not split_address(address)[0].isascii()


def address_key(address: str) -> str:
    """Equal for two spellings of one mailbox: ``jan@Bäckerei.example`` and
    ``JAN@xn--bckerei-5wa.example``. Like the rest of Porto, the local part ignores case."""
    local, domain = split_address(address.strip())
    return f"{local.lower()}@{ascii_domain(domain)}"


def same_address(first: str, second: str) -> bool:
    return address_key(first) == address_key(second)


# Building raw header values


def unstructured_value(text: str) -> str:
    """A Subject-like value, folded; ``=?`` and non-ASCII text are encoded as a whole."""
    safe = header_text(text, neutralise=True)
    charset = "us-ascii" if safe.isascii() and _ENCODED_WORD_START not in safe else "utf-8"
    return Header(safe, charset, header_name="Subject").encode(linesep=_LINESEP)


def mailbox_value(mailbox: Mailbox) -> str:
    address = envelope_address(mailbox.address)
    name = header_text(mailbox.name, neutralise=True)
    if not name:
        return address
    return f"{_phrase(name)} <{address}>"


def mailbox_list_value(mailboxes: list[Mailbox]) -> str:
    return ("," + _LINESEP + " ").join(mailbox_value(m) for m in mailboxes)


def _phrase(name: str) -> str:
    if not name.isascii() or _ENCODED_WORD_START in name:
        return Header(name, "utf-8").encode(linesep=_LINESEP)
    if not _SPECIALS.search(name):
        return name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def split_entries(text: str) -> list[str]:
    """Entries typed in one box, split at commas and semicolons outside quotes and angle
    brackets: ``"Janssens, Jan" <jan@example.com>; piet@example.com`` is two entries."""
    entries: list[str] = []
    current: list[str] = []
    quoted, bracketed, escaped = False, 0, False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch in "<>" and not quoted:
            bracketed = max(0, bracketed + (1 if ch == "<" else -1))
        elif ch in ",;" and not quoted and not bracketed:
            entries.append("".join(current))
            current = []
            continue
        current.append(ch)
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


# Whole messages


def message_needs_smtputf8(message: EmailMessage) -> bool:
    """True when a header holds UTF-8 as is: an address whose local part is not ASCII."""
    return any(not str(value).isascii() for _name, value in message.raw_items())


def message_bytes(message: EmailMessage) -> bytes:
    """CRLF, headers as built; UTF-8 headers only when an address needs them (RFC 6532)."""
    return message.as_bytes(policy=OUTGOING_UTF8 if message_needs_smtputf8(message) else OUTGOING)

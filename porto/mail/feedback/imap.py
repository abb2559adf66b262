"""Own mailbox (SMTP) feedback: read bounces and delivery reports from the company's mailbox.

With the company's IMAP settings, ``imap_scan`` reads the messages of the configured folder
that arrived since the last scan (UIDVALIDITY + UID, so nothing is read twice), parses RFC 3464
``multipart/report`` delivery status notifications with the standard library and other
bounces with ``flufl.bounce``, matches them to our Message-ID or DSN ENVID **and** to the
company, and records them through ``record_event``. A report about someone else's message is
ignored. The folder is opened read-only: Porto never changes the user's mailbox.
"""

import contextlib
import datetime
import email
import email.message
import email.policy
import email.utils
import hashlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from flufl.bounce import all_failures

from porto.lib.smtp import Security, default_ssl_context
from porto.mail.events import record_event
from porto.mail.message_ids import message_id_normalise
from porto.mail.models import ImapCursor, OutgoingEmail
from porto.mail.reasons import Refusal, failure_describe
from porto.mail.sources import email_settings_for
from porto.mail.status import Event, EventType

logger = logging.getLogger(__name__)

SOURCE = "imap"
_ANGLE_ID = re.compile(rb"<([^<>\s@]+@[^<>\s]+)>")
_ACTIONS = {
    "failed": EventType.BOUNCED,
    "delayed": EventType.DEFERRED,
    "delivered": EventType.DELIVERED,
    "relayed": EventType.SENT,
    "expanded": EventType.DELIVERED,
}


class ImapScanError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ScanResult:
    read: int = 0
    recorded: int = 0
    ignored: int = 0


@dataclass(frozen=True)
class Report:
    """One recipient's line of a delivery report."""

    address: str
    event: Event
    key: str


# --- reading the mailbox ----------------------------------------------------------------------


def imap_open(config, context: ssl.SSLContext | None = None) -> imaplib.IMAP4:
    timeout = settings.PORTO_IMAP_TIMEOUT
    where = f"{config.imap_host}:{config.imap_port}"
    try:
        if config.imap_security == Security.TLS:
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                config.imap_host,
                config.imap_port,
                ssl_context=context or default_ssl_context(),
                timeout=timeout,
            )
        else:
            connection = imaplib.IMAP4(config.imap_host, config.imap_port, timeout=timeout)
            if config.imap_security == Security.STARTTLS:
                connection.starttls(ssl_context=context or default_ssl_context())
    except (OSError, imaplib.IMAP4.error) as error:
        raise ImapScanError(
            _("Porto could not connect to your IMAP server %(where)s (%(error)s).")
            % {"where": where, "error": error}
        ) from error
    try:
        connection.login(config.imap_username, config.imap_password)
    except imaplib.IMAP4.error as error:
        connection.shutdown()
        raise ImapScanError(
            _("Your IMAP server refused the login: check the IMAP username and password.")
        ) from error
    return connection


def imap_scan(
    company, *, now: datetime.datetime | None = None, context: ssl.SSLContext | None = None
) -> ScanResult:
    """Read the new messages of the company's IMAP folder and record what they report."""
    config = email_settings_for(company)
    if not (config.imap_host and config.imap_username):
        raise ImapScanError(_("No IMAP server is set up in Email settings."))
    now = now or timezone.now()
    connection = imap_open(config, context)
    try:
        return _scan_folder(connection, company, config, now)
    except (OSError, imaplib.IMAP4.error) as error:
        raise ImapScanError(
            _("Reading the IMAP folder %(folder)s failed (%(error)s).")
            % {"folder": config.imap_folder, "error": error}
        ) from error
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


def _scan_folder(connection: imaplib.IMAP4, company, config, now) -> ScanResult:
    typ, _data = connection.select(_quoted(config.imap_folder), readonly=True)
    if typ != "OK":
        raise ImapScanError(
            _("Your IMAP server has no folder “%(folder)s”: check the folder name.")
            % {"folder": config.imap_folder}
        )
    _typ, validity = connection.response("UIDVALIDITY")
    cursor, _created = ImapCursor.objects.get_or_create(
        company=company,
        host=config.imap_host,
        username=config.imap_username,
        folder=config.imap_folder,
        uidvalidity=int(validity[0]) if validity and validity[0] else 0,
    )
    result = ScanResult()
    for uid in _new_uids(connection, cursor.last_uid):
        raw = _fetch(connection, uid)
        with transaction.atomic():
            recorded = message_process(raw, company, now) if raw is not None else None
            ImapCursor.objects.filter(pk=cursor.pk).update(last_uid=uid, scanned_at=now)
        result.read += 1
        if recorded is None:
            result.ignored += 1
        else:
            result.recorded += recorded
    ImapCursor.objects.filter(pk=cursor.pk).update(scanned_at=now)
    return result


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _new_uids(connection: imaplib.IMAP4, last_uid: int) -> list[int]:
    typ, data = connection.uid("SEARCH", f"UID {last_uid + 1}:*")
    if typ != "OK" or not data or not data[0]:
        return []
    # "n:*" also matches the highest UID when it is below n: keep only the new ones.
    return sorted(uid for uid in (int(x) for x in data[0].split()) if uid > last_uid)


def _fetch(connection: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


# --- understanding one message ----------------------------------------------------------------


def message_process(raw: bytes, company, now: datetime.datetime) -> int | None:
    """Record what one mailbox message reports; None when it is not about our email."""
    try:
        understood = message_understand(raw, company, now)
    except (ValueError, LookupError, TypeError, AttributeError):  # a malformed message
        logger.warning("Could not read a message in the mailbox of %s", company, exc_info=True)
        return None
    if understood is None:
        return None
    outgoing, reports, key = understood
    return reports_record(outgoing, reports, key)


def message_understand(raw: bytes, company, now: datetime.datetime):
    """(our email, its reports, the report's key), or None when it is not about our email."""
    # compat32: headers stay plain strings, so a malformed one cannot break the parse.
    message = email.message_from_bytes(raw)
    if is_delivery_report(message):
        ids, envid = dsn_references(message)
        outgoing = email_of(company, ids, envid)
        reports = dsn_reports(message, now) if outgoing else []
    else:
        outgoing = email_of(company, referenced_ids(raw), "")
        reports = bounce_reports(raw, message, now) if outgoing else []
    if outgoing is None:
        return None
    return outgoing, reports, dsn_key(message, raw)


def is_delivery_report(message: email.message.Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )


def dsn_references(message: email.message.Message) -> tuple[list[str], str]:
    """The original Message-ID (from the returned headers) and the DSN's ENVID."""
    envid = ""
    ids: list[str] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            blocks = _blocks(part)
            if blocks:
                envid = str(blocks[0].get("Original-Envelope-Id", "")).strip()
        elif content_type in ("message/rfc822", "text/rfc822-headers"):
            ids += _returned_message_ids(part)
    return ids, xtext_decode(envid)


def _returned_message_ids(part: email.message.Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], email.message.Message):
        found = payload[0].get("Message-ID", "")
        return [message_id_normalise(str(found))] if found else []
    text = part.get_payload(decode=True) or b""
    headers = email.message_from_bytes(bytes(text))  # type: ignore[arg-type]
    found = headers.get("Message-ID", "")
    return [message_id_normalise(str(found))] if found else []


def _blocks(part: email.message.Message) -> list[email.message.Message]:
    """The field groups of a message/delivery-status part (per message, then per recipient)."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [block for block in payload if isinstance(block, email.message.Message)]


def xtext_decode(value: str) -> str:
    return re.sub(r"\+([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value)


def referenced_ids(raw: bytes) -> list[str]:
    """Every <id@host> in a non-standard bounce (it quotes our message somewhere)."""
    return [m.decode("utf-8", "replace") for m in _ANGLE_ID.findall(raw)]


def email_of(company, ids: list[str], envid: str) -> OutgoingEmail | None:
    """Our email, of this company only: a report about anyone else's message is ignored."""
    emails = OutgoingEmail.objects.filter(company=company).prefetch_related("recipients")
    ids = [i for i in ids if i]
    if ids:
        found = emails.filter(message_id__in=ids).first()
        if found:
            return found
    if envid:
        try:
            return emails.filter(public_id=envid).first()
        except Exception:  # not a UUID: not one of ours
            return None
    return None


def dsn_reports(message: email.message.Message, now: datetime.datetime) -> list[Report]:
    reports = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = _blocks(part)
        if not blocks:
            continue
        fallback = _date(blocks[0].get("Arrival-Date")) or _date(message.get("Date")) or now
        for block in blocks[1:]:
            report = _recipient_report(block, fallback)
            if report is not None:
                reports.append(report)
    return reports


def _recipient_report(block: email.message.Message, fallback: datetime.datetime) -> Report | None:
    action = str(block.get("Action", "")).strip().lower()
    address = _address(block.get("Original-Recipient")) or _address(block.get("Final-Recipient"))
    if action not in _ACTIONS or not address:
        return None
    status = str(block.get("Status", "")).strip()
    at = _date(block.get("Last-Attempt-Date")) or fallback
    type_ = _ACTIONS[action]
    if type_ in (EventType.BOUNCED, EventType.DEFERRED):
        permanent = type_ == EventType.BOUNCED and not status.startswith("4")
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        reason, code = failure_describe(
            diagnostic.split(";", 1)[-1] if diagnostic else "",
            refusal=Refusal.BOUNCE if permanent else Refusal.DELAY,
            enhanced_code=status or None,
        )
        type_ = EventType.BOUNCED if permanent else EventType.DEFERRED
        event = Event(type_, at, permanent=permanent, reason=reason, code=code)
    else:
        event = Event(type_, at)
    return Report(address=address, event=event, key=f"{address.lower()}:{action}")


def _address(value: object) -> str:
    text = str(value or "").strip()
    if ";" in text:
        text = text.split(";", 1)[1]
    return xtext_decode(text.strip().strip("<>"))


def _date(value: object) -> datetime.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def bounce_reports(
    raw: bytes, message: email.message.Message, now: datetime.datetime
) -> list[Report]:
    """A bounce that is not RFC 3464: flufl.bounce finds the addresses it is about."""
    temporary, permanent = all_failures(message)
    at = _date(message.get("Date")) or now
    text = _diagnostic_line(raw)
    reports = []
    for addresses, hard in ((permanent, True), (temporary, False)):
        for item in sorted(addresses):
            address = item.decode() if isinstance(item, bytes) else str(item)
            reason, code = failure_describe(text, refusal=Refusal.BOUNCE if hard else Refusal.DELAY)
            type_ = EventType.BOUNCED if hard else EventType.DEFERRED
            event = Event(type_, at, permanent=hard, reason=reason, code=code)
            reports.append(
                Report(address, event, f"{address.lower()}:{'hard' if hard else 'soft'}")
            )
    return reports


def _diagnostic_line(raw: bytes) -> str:
    """The first line that carries an SMTP reply code, as the server's words."""
    for line in raw.decode("utf-8", "replace").splitlines():
        if re.search(r"(?<![\d.])[45]\d\d[ -][245]?\.?\d", line) or re.search(
            r"\b[45]\.\d{1,3}\.\d{1,3}\b", line
        ):
            return line.strip()
    return ""


def dsn_key(message: email.message.Message, raw: bytes) -> str:
    own_id = message_id_normalise(str(message.get("Message-ID", "")))
    return own_id or "sha256:" + hashlib.sha256(raw).hexdigest()


def reports_record(outgoing: OutgoingEmail, reports: list[Report], key: str) -> int:
    ours = {r.address.lower(): r.address for r in outgoing.recipients.all()}
    recorded = 0
    for report in reports:
        address = ours.get(report.address.lower())
        if address is None:
            continue  # not one of this email's recipients
        stored = record_event(
            source=SOURCE,
            event=report.event,
            message_id=outgoing.message_id,
            recipient=address,
            provider_event_id=f"{key}:{report.key}",
            payload={"dsn": key, "address": report.address},
        )
        recorded += stored is not None
    return recorded

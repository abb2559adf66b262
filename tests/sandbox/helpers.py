"""Emails as the outbox sends them, built with the stdlib (RFC 5322, CRLF line endings)."""

import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

PDF_BYTES = b"%PDF-1.7\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


def build_email(
    *,
    company_id: int | None = None,
    email_id: int | None = None,
    subject: str = "Factuur 2026-00042",
    to: str = "boekhouding@klant.example",
    html: str | None = "<p>Beste klant, <b>hierbij</b> uw factuur.</p>",
    attachments: tuple[tuple[str, str, bytes], ...] = (
        ("Invoice-2026-00042.pdf", "application/pdf", PDF_BYTES),
    ),
    message_id: str = "",
) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = '"Acme BV" <acme-bv@send.example>'
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.datetime(2026, 3, 2, 10, 30, tzinfo=datetime.UTC))
    message["Message-ID"] = message_id or make_msgid(domain="send.example")
    if company_id is not None:
        message["X-Porto-Company"] = str(company_id)
    if email_id is not None:
        message["X-Porto-Email"] = str(email_id)
    message.set_content("Beste klant,\n\nHierbij uw factuur.\n")
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()

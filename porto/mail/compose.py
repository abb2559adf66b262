"""Build the MIME message of an outgoing email: RFC 5322, serialised with email.policy.SMTP.

The message depends only on the stored rows (the Date is the moment the email was queued), so
every retry hands off the same bytes with the same Message-ID.
"""

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from porto.mail.models import Attachment, OutgoingEmail, Recipient


def address_of(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def compose(email: OutgoingEmail) -> EmailMessage:
    recipients = list(email.recipients.all())
    attachments = list(email.attachments.select_related("blob"))
    message = EmailMessage(policy=SMTP)
    _set_headers(message, email, recipients)
    message.set_content(email.body_text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html", charset="utf-8")
    for attachment in attachments:
        _attach(message, attachment)
    return message


def _set_headers(message: EmailMessage, email: OutgoingEmail, recipients: list[Recipient]) -> None:
    message["From"] = address_of(email.from_name, email.from_address)
    to = [address_of(r.name, r.address) for r in recipients if r.kind == Recipient.Kind.TO]
    cc = [address_of(r.name, r.address) for r in recipients if r.kind == Recipient.Kind.CC]
    if to:
        message["To"] = to
    if cc:
        message["Cc"] = cc
    if email.reply_to and email.reply_to.lower() != email.from_address.lower():
        message["Reply-To"] = email.reply_to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = email.message_id_header
    message["MIME-Version"] = "1.0"
    message["Content-Language"] = email.language


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    message.add_attachment(
        bytes(attachment.blob.content),
        maintype=maintype,
        subtype=subtype,
        filename=attachment.filename,
    )


def as_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP)

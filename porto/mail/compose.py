"""Build the MIME message of an outgoing email: RFC 5322, serialised with email.policy.SMTP.

The message depends only on the stored rows (the Date is the moment the email was queued), so
every retry hands off the same bytes with the same Message-ID.

Headers made of what people typed (names, addresses, subject) are built by ``porto.lib.headers``
and stored raw: the email package never re-reads them, so it cannot decode an encoded-word a
person typed into a line break. Domains are written as IDNA; a local part outside ASCII makes
the message need SMTPUTF8 (``needs_smtputf8``), and it is then serialised as UTF-8.
"""

from email.message import EmailMessage
from email.utils import format_datetime
from typing import NamedTuple

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from porto.lib.headers import (
    OUTGOING,
    Mailbox,
    header_text,
    mailbox_list_value,
    mailbox_value,
    message_bytes,
    same_address,
    unstructured_value,
)
from porto.mail.feedback.pixel import pixel_token
from porto.mail.models import Attachment, OutgoingEmail, Recipient, TransportName


def compose(email: OutgoingEmail, pixel_for: Recipient | None = None) -> EmailMessage:
    """The message, with ``pixel_for``'s open pixel when given (see ``copies_for``)."""
    recipients = list(email.recipients.all())
    attachments = stored_attachments(email)
    message = EmailMessage(policy=OUTGOING)
    _set_headers(message, email, recipients)
    message.set_content(email.body_text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if email.body_html:
        html = with_pixel(email.body_html, pixel_for)
        message.add_alternative(html, subtype="html", charset="utf-8")
    for attachment in attachments:
        _attach(message, attachment)
    message["Content-Language"] = email.language  # after the body: set_content drops Content-*
    _fix_boundaries(message, email.public_id.hex)
    return message


def stored_attachments(email: OutgoingEmail) -> list[Attachment]:
    """The attachments with their bytes: loaded for a whole batch by the worker
    (``loaded``, see ``porto.mail.delivery``), else read here."""
    loaded = getattr(email, "loaded", None)
    if loaded is not None:
        return loaded
    return list(email.attachments.select_related("blob"))


def pixel_recipient(email: OutgoingEmail, recipients: list[Recipient]) -> Recipient | None:
    """Whose pixel goes into the HTML body, if any.

    When every recipient receives the same message, a pixel tells who opened it only when there
    is exactly one recipient: with Cc or Bcc (also "copy to self") an open could be anyone's,
    and the sender opening their own copy must never make the client's email Read."""
    if not tracks_opens(email) or len(recipients) != 1:
        return None
    return recipients[0]


def tracks_opens(email: OutgoingEmail) -> bool:
    """Open tracking is on, and never through the company's own mailbox."""
    return email.track_opens and email.transport != TransportName.SMTP


def pixel_url(recipient: Recipient) -> str:
    path = reverse("pixel", args=[pixel_token(recipient.pk, recipient.pixel_key)])
    return settings.PORTO_BASE_URL.rstrip("/") + path


def with_pixel(html: str, recipient: Recipient | None) -> str:
    if recipient is None:
        return html
    image = (
        f'<img src="{escape(pixel_url(recipient))}" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px">'
    )
    closing = html.lower().rfind("</body>")
    if closing == -1:
        return html + image
    return html[:closing] + image + html[closing:]


def _fix_boundaries(message: EmailMessage, seed: str) -> None:
    """Boundaries derived from the email's id instead of random ones: same bytes every time."""
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_porto_{seed}_{number}")


def _set_headers(message: EmailMessage, email: OutgoingEmail, recipients: list[Recipient]) -> None:
    message.set_raw("From", mailbox_value(Mailbox(email.from_name, email.from_address)))
    for header, kind in (("To", Recipient.Kind.TO), ("Cc", Recipient.Kind.CC)):
        mailboxes = [Mailbox(r.name, r.address) for r in recipients if r.kind == kind]
        if mailboxes:
            message.set_raw(header, mailbox_list_value(mailboxes))
    if email.reply_to and not same_address(email.reply_to, email.from_address):
        message.set_raw("Reply-To", mailbox_value(Mailbox("", email.reply_to)))
    message.set_raw("Subject", unstructured_value(email.subject))
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = email.message_id_header
    message["MIME-Version"] = "1.0"


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    message.add_attachment(
        bytes(attachment.blob.content),
        maintype=maintype,
        subtype=subtype,
        filename=header_text(attachment.filename, neutralise=True) or "attachment",
    )


def as_bytes(message: EmailMessage) -> bytes:
    return message_bytes(message)


# Per-recipient copies


class Copy(NamedTuple):
    """One hand-off: a message and the addresses it goes to (RCPT TO)."""

    message: EmailMessage
    recipients: list[Recipient]


def copies_for(
    email: OutgoingEmail, pending: list[Recipient], *, envelope_apart: bool
) -> list[Copy]:
    """What to hand off so that the ``pending`` recipients get the email.

    With open tracking through a transport that keeps the envelope apart from the headers (the
    sandbox, own SMTP), each To and Cc recipient gets a copy of its own, with its own pixel,
    sent to that address only: every copy has the same To, Cc and Message-ID headers, so nobody
    sees a difference, and each recipient can become Read on its own. Bcc recipients (also the
    sender's "send me a copy") share one copy without a pixel. Otherwise (no tracking, or a
    provider, which tracks each recipient itself) one message goes to everyone."""
    if not (envelope_apart and tracks_opens(email)):
        shared_pixel = pixel_recipient(email, list(email.recipients.all()))
        return [Copy(compose(email, shared_pixel), pending)]
    tracked = [r for r in pending if r.kind != Recipient.Kind.BCC]
    untracked = [r for r in pending if r.kind == Recipient.Kind.BCC]
    copies = [Copy(compose(email, recipient), [recipient]) for recipient in tracked]
    if untracked:
        copies.append(Copy(compose(email), untracked))
    return copies

"""Receiving a message into the sandbox inbox."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from porto.accounts.models import Company
from porto.mail.message_ids import message_id_normalise
from porto.mail.models import OutgoingEmail
from porto.sandbox import parsing
from porto.sandbox.models import SandboxMessage
from porto.sandbox.reporting import report_delivered

log = logging.getLogger(__name__)


def sandbox_message_receive(
    *,
    envelope_from: str,
    recipients: list[str],
    raw: bytes,
    received_at: datetime.datetime | None = None,
) -> SandboxMessage:
    """Store a message the server accepted and report its delivery, in one transaction:
    if either fails, neither happened and the server answers 451 so the sender retries."""
    summary = parsing.summarize(raw)
    with transaction.atomic():
        message = SandboxMessage.objects.create(
            company_id=matched_company_id(summary),
            porto_email_id=summary.email_id,
            envelope_from=parsing.storable(envelope_from),
            envelope_recipients=[parsing.storable(address) for address in recipients],
            raw=raw,
            size=len(raw),
            subject=summary.subject,
            from_header=summary.from_header,
            to_header=summary.to_header,
            date_header=summary.date,
            message_id=summary.message_id,
            attachment_count=summary.attachment_count,
            received_at=received_at or timezone.now(),
        )
        report_delivered(message)
    return message


def matched_company_id(summary: parsing.Summary) -> int | None:
    """The company that sent the message. An email of our outbox (found by its Message-ID)
    decides; a company header that contradicts it matches nobody. Mail from elsewhere is
    matched by the X-Porto-Company header alone."""
    email = outgoing_email_for(summary.message_id)
    if email is None:
        return existing_company_id(summary.company_id)
    if summary.company_id not in (None, email.company_id):
        log.warning("Message %s names another company than its sender", summary.message_id)
        return None
    return email.company_id


def outgoing_email_for(message_id: str) -> OutgoingEmail | None:
    message_id = message_id_normalise(message_id)
    if not message_id:
        return None
    return OutgoingEmail.objects.filter(message_id=message_id).only("pk", "company_id").first()


def existing_company_id(company_id: int | None) -> int | None:
    if company_id is None:
        return None
    return Company.objects.filter(pk=company_id).values_list("pk", flat=True).first()

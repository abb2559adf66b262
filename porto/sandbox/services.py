"""Receiving a message into the sandbox inbox."""

import datetime

from django.db import transaction
from django.utils import timezone

from porto.accounts.models import Company
from porto.sandbox import parsing
from porto.sandbox.models import SandboxMessage
from porto.sandbox.reporting import report_delivered


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
            company_id=existing_company_id(summary.company_id),
            porto_email_id=summary.email_id,
            envelope_from=envelope_from,
            envelope_recipients=list(recipients),
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


def existing_company_id(company_id: int | None) -> int | None:
    if company_id is None:
        return None
    return Company.objects.filter(pk=company_id).values_list("pk", flat=True).first()

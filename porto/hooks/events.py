"""The events an endpoint can subscribe to, and the payload of each: data in, events out.

An email event is a fact of one recipient (``porto.mail.status``'s facts), emitted once per
recipient and endpoint whatever the order in which the facts arrived: its dedupe key names
the event type and the recipient, so recording the same fact again emits nothing.
"""

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from porto.documents.models import Document
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.reasons import reason_render

EMAIL_DELIVERED = "email.delivered"
EMAIL_READ = "email.read"
EMAIL_FAILED = "email.failed"
EMAIL_DEFERRED = "email.deferred"
EMAIL_SENT = "email.sent"
DOCUMENT_FINALIZED = "document.finalized"
TEST = "webhook.test"  # the "Send test event" button's; no endpoint subscribes to it

# The table of subscribable events: type → what it means, as the Settings page says it.
EVENT_TYPES: dict[str, Any] = {
    EMAIL_SENT: _("The email was handed to the receiving server"),
    EMAIL_DELIVERED: _("The email was delivered"),
    EMAIL_READ: _("The email was opened by the recipient"),
    EMAIL_FAILED: _("The email could not be delivered"),
    EMAIL_DEFERRED: _("Delivery of the email was delayed; it is tried again"),
    DOCUMENT_FINALIZED: _("A document was finalized"),
}

# Which fact of a recipient makes which event: the fact's column on ``Recipient``.
EMAIL_FACTS: dict[str, str] = {
    EMAIL_SENT: "accepted_at",
    EMAIL_DEFERRED: "last_deferred_at",
    EMAIL_DELIVERED: "delivered_at",
    EMAIL_FAILED: "failed_at",
    EMAIL_READ: "human_open_at",
}
REASON_OF: dict[str, str] = {
    EMAIL_FAILED: "failure_reason",
    EMAIL_DEFERRED: "last_deferral_reason",
}


@dataclass(frozen=True)
class Event:
    type: str
    dedupe_key: str
    occurred_at: datetime.datetime
    data: dict[str, Any]


def body_of(event_type: str, data: dict[str, Any], at: datetime.datetime) -> str:
    """The JSON body, written once and sent unchanged by every attempt."""
    payload = {"type": event_type, "timestamp": at.isoformat(), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def email_events(
    email: OutgoingEmail, recipients: Iterable[Recipient], status: str, language: str
) -> list[Event]:
    events = []
    for recipient in recipients:
        for event_type, column in EMAIL_FACTS.items():
            occurred_at = getattr(recipient, column)
            if occurred_at is not None:
                data = email_data(email, recipient, event_type, status, language, occurred_at)
                key = f"{event_type}:recipient:{recipient.pk}"
                events.append(Event(event_type, key, occurred_at, data))
    return events


def email_data(
    email: OutgoingEmail,
    recipient: Recipient,
    event_type: str,
    status: str,
    language: str,
    occurred_at: datetime.datetime,
) -> dict[str, Any]:
    stored = getattr(recipient, REASON_OF[event_type]) if event_type in REASON_OF else None
    return {
        "company_id": email.company_id,
        "document_id": email.document_id,
        "email_id": email.pk,
        "recipient_id": recipient.pk,
        "recipient_kind": recipient.kind,
        "status": status,
        "reason": reason_data(stored, language),
        "occurred_at": occurred_at.isoformat(),
    }


def reason_data(stored: object, language: str) -> dict[str, str] | None:
    """A stored reason as its code and its sentence in ``language``."""
    if not stored:
        return None
    code = stored.get("code") if isinstance(stored, dict) else None
    with translation.override(language):
        text = reason_render(stored)
    return {"code": code or "", "text": text}


def document_finalized_event(document: Document) -> Event:
    occurred_at = document.finalized_at or timezone.now()
    data = {
        "company_id": document.company_id,
        "document_id": document.pk,
        "kind": document.kind,
        "number": document.number,
        "currency": document.currency,
        "total_incl_vat": str(document.total_incl_vat),
        "amount_due": str(document.amount_due),
        "occurred_at": occurred_at.isoformat(),
    }
    return Event(DOCUMENT_FINALIZED, f"{DOCUMENT_FINALIZED}:{document.pk}", occurred_at, data)


def ping_event(company_id: int, at: datetime.datetime, nonce: str) -> Event:
    data = {"company_id": company_id, "message": "This is a test event from Porto."}
    return Event(TEST, f"{TEST}:{nonce}", at, data)

"""The proof of sending: one email's facts as a PDF (WeasyPrint), for a client who says they
never got it: document number, Message-ID, sender, recipients, attachments with SHA-256, the
transport's acceptance reply and every delivery event with its time and source."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from porto.mail.models import DeliveryAttempt, DeliveryEvent, OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.status import event_type_words


def proof_context(email: OutgoingEmail) -> dict:
    attempts = DeliveryAttempt.objects.filter(email=email).order_by("number")
    events = (
        DeliveryEvent.objects.filter(recipient__email=email)
        .select_related("recipient")
        .order_by("at", "pk")
    )
    return {
        "email": email,
        "document": email.document,
        "recipients": list(email.recipients.all()),
        "attachments": list(email.attachments.select_related("blob").defer("blob__content")),
        "attempts": [(a, answer_lines(a)) for a in attempts],
        "events": [
            (event, event_type_words(event.type), reason_render(event.reason)) for event in events
        ],
        "made_at": timezone.now(),
    }


def answer_lines(attempt: DeliveryAttempt) -> list[str]:
    """The transport's reply per address, as it was written down the moment it came."""
    lines = []
    for address, result in (attempt.answer or {}).items():
        verdict = _("accepted") if result.get("accepted") else _("refused")
        reply = f"{result.get('code') or ''} {reason_render(result.get('reason'))}".strip()
        ids = result.get("provider_message_id") or ""
        lines.append(" ".join(p for p in (address, verdict, reply, ids) if p))
    return lines


def email_proof_pdf(email: OutgoingEmail) -> bytes:
    html = render_to_string("mail/proof.html", proof_context(email))
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()

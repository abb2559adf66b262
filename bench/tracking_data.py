"""What the tracking benchmark measures with: emails a provider accepted, and provider webhook
bodies about them in the documented payload shapes (``tests/mail/payloads/postmark``), stored
as the webhook view stores them. Built in bulk through the models (making thousands of emails
one by one would take longer than what is measured). Import after ``django.setup()``."""

import datetime as dt
import itertools
import json
from pathlib import Path

from bench.data import client_new, company_new
from porto.accounts.models import Company
from porto.documents.models import Document
from porto.mail.feedback.webhook_gate import body_digest
from porto.mail.models import InboundWebhook, OutgoingEmail, Recipient

PAYLOADS = Path(__file__).resolve().parent.parent / "tests/mail/payloads/postmark"
HANDED_OFF = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HEADERS = {"Content-Type": "application/json"}
_batches = itertools.count(1)
_event_ids = itertools.count(4_300_000_000_000_000_000)  # Postmark's bounce ids are this large


def bench_company() -> Company:
    return company_new("Bench Tracking BV", slug="bench-tracking-bv")


def emails_sent(company: Company, count: int) -> list[tuple[str, str]]:
    """``count`` emails accepted by Postmark, one recipient each: their (message id, address)."""
    batch = next(_batches)
    client = client_new(company, address=f"klant-{batch}@klant.example")
    documents = Document.objects.bulk_create(
        Document(company=company, client=client) for _ in range(count)
    )
    emails = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            company=company,
            document=document,
            transport="provider",
            from_name=company.name,
            from_address="bench@send.example",
            subject="Factuur 2026/0042",
            body_text="Beste klant",
            language="nl",
            file_format="pdf",
            message_id=f"bench.{batch}.{number}@send.example",
            state=OutgoingEmail.State.SENT,
            handed_off_at=HANDED_OFF,
            sent_through="postmark",
            track_opens=True,
        )
        for number, document in enumerate(documents)
    )
    Recipient.objects.bulk_create(
        Recipient(
            email=email,
            address=f"klant{number}@klant.example",
            provider_message_id=f"pm-{batch}-{number:08d}",
            accepted_at=HANDED_OFF,
        )
        for number, email in enumerate(emails)
    )
    return [(f"pm-{batch}-{number:08d}", f"klant{number}@klant.example") for number in range(count)]


def _template(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


TEMPLATES = {name: _template(name) for name in ("delivery", "open", "bounce_hard", "bounce_soft")}
TIME_FIELD = {"Delivery": "DeliveredAt", "Open": "ReceivedAt", "Bounce": "BouncedAt"}
ADDRESS_FIELD = {"Delivery": "Recipient", "Open": "Recipient", "Bounce": "Email"}


def postmark_body(name: str, message_id: str, address: str, seconds: int, event_id: int) -> bytes:
    body = dict(TEMPLATES[name], MessageID=message_id)
    kind = body["RecordType"]
    body[ADDRESS_FIELD[kind]] = address
    at = HANDED_OFF + dt.timedelta(seconds=seconds)
    body[TIME_FIELD[kind]] = at.isoformat().replace("+00:00", "Z")
    if "ID" in body:
        body["ID"] = event_id
    return json.dumps(body).encode()


def event_mix(sent: list[tuple[str, str]]) -> list[bytes]:
    """What Postmark posts for these emails, one event per request: a delivery for nine in
    ten (a hard bounce for the tenth), a soft bounce before it for one in five, a person's
    open for one in three."""
    bodies = []
    for number, (message_id, address) in enumerate(sent):
        if number % 5 == 1:
            bodies.append(postmark_body("bounce_soft", message_id, address, 2, next(_event_ids)))
        if number % 10 == 9:
            bodies.append(postmark_body("bounce_hard", message_id, address, 4, next(_event_ids)))
            continue
        bodies.append(postmark_body("delivery", message_id, address, 4, 0))
        if number % 3 == 0:
            bodies.append(postmark_body("open", message_id, address, 3600 + number, 0))
    return bodies


def webhooks_stored(bodies: list[bytes]) -> None:
    """The rows the webhook view writes (provider, kept headers, body, delivery key)."""
    InboundWebhook.objects.bulk_create(
        InboundWebhook(
            provider="postmark",
            headers=HEADERS,
            body=body,
            delivery_key=f"postmark:sha256:{body_digest(body)}",
        )
        for body in bodies
    )

"""A bulk send run by real worker processes: `python -m tests.mail.scenario seed COUNT [NAME]`
fills the database named by DATABASE_URL and queues one bulk send (for the company NAME, "Acme
BV" by default); `... documents COUNT NAME` makes finalized documents and a user who can send
them, without sending; `... counts` prints where the emails stand. Used by the crash and scale
tests and by the sending benchmark."""

import json
import os
import sys
from collections import Counter


def documents_new(count: int, name: str):
    from django.utils.text import slugify

    from tests.factories import make_company

    slug = slugify(name)
    company = make_company(name, slug=slug, email=f"office@{slug}.example")
    return documents_add(company, count)


def documents_add(company, count: int):
    from porto.documents.models import RenderedFile
    from porto.documents.rendering.files import rendered_file_store
    from tests.factories import make_finalized_in_bulk
    from tests.mail.conftest import small_pdf

    if not count:
        return company, []
    documents = make_finalized_in_bulk(company, count, clients=30)
    for document in documents:  # pre-rendered files: each document its own bytes
        rendered_file_store(document, RenderedFile.Format.PDF, small_pdf(document.number))
    return company, documents


def documents(count: int, name: str) -> dict:
    from tests.factories import make_user

    company, made = documents_new(count, name)
    user = make_user(company, username=f"owner-{company.slug}")
    return {"documents": [d.pk for d in made], "username": user.username}


def seed(count: int, name: str = "Acme BV") -> dict:
    company, documents = documents_new(count, name)
    return seed_for(company, count, documents)


def seed_for(company, count: int, documents=None) -> dict:
    from django.db import transaction

    from porto.mail.requests import bulk_send
    from porto.mail.tasks import wake_on_commit

    if documents is None:
        _, documents = documents_add(company, count)
    with transaction.atomic():  # as the bulk send page does: rows and wake-ups commit together
        job = bulk_send(company, [d.pk for d in documents])
        wake_on_commit(list(job.emails.values_list("pk", flat=True)))
    return {"job": job.pk, "queued": job.counts()["queued"]}


def company_with_own_smtp(name: str, count: int, port: int, per_minute: int = 10_000):
    """A company with ``count`` documents sending through its own SMTP server at ``port``;
    by default at the most the settings allow (a sink, not a mailbox: the 30 a minute
    default would pace it)."""
    from porto.emailsettings.models import EmailSettings, Method

    company, _ = documents_new(count, name)
    EmailSettings.objects.create(
        company=company,
        method=Method.SMTP,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_from_address=f"office@{company.slug}.example",
        smtp_per_minute=per_minute,
    )
    return company


def own_smtp(count: int, name: str, port: int) -> dict:
    """A bulk send of ``count`` documents through the company's own SMTP server (a sink)."""
    return seed_for(company_with_own_smtp(name, 0, port), count)


def tracked(count: int) -> dict:
    """``count`` emails a provider (Postmark) accepted, opens tracked: what webhooks and pixel
    hits refer to. Their provider ids are stress-00000…"""
    import datetime as dt

    from porto.documents.models import Document
    from porto.mail.feedback.pixel import pixel_token
    from porto.mail.models import OutgoingEmail, Recipient
    from tests.factories import make_client, make_company

    company = make_company("Stress Tracking BV", slug="stress-tracking-bv")
    client = make_client(company, emails=("boekhouding@klant.example",))
    handed_off = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    emails = []
    for number in range(count):
        email = OutgoingEmail.objects.create(
            company=company,
            document=Document.objects.create(company=company, client=client),
            transport="provider",
            from_name=company.name,
            from_address="stress@send.example",
            subject=f"Factuur {number}",
            body_text="Beste klant",
            language="nl",
            file_format="pdf",
            message_id=f"stress.{number}@send.example",
            state=OutgoingEmail.State.SENT,
            handed_off_at=handed_off,
            track_opens=True,
        )
        recipient = Recipient.objects.create(
            email=email,
            address=f"klant{number}@klant.example",
            provider_message_id=f"stress-{number:05d}",
            accepted_at=handed_off,
        )
        emails.append(
            {
                "message_id": recipient.provider_message_id,
                "address": recipient.address,
                "pixel": f"/t/{pixel_token(recipient.pk, recipient.pixel_key)}.gif",
            }
        )
    return {"emails": emails}


def tracked_counts() -> dict:
    """Where the tracked emails stand: webhooks stored and processed, events, statuses."""
    from django.db.models import Count
    from django.utils import timezone

    from porto.mail.models import DeliveryEvent, InboundWebhook, Recipient

    now = timezone.now()
    recipients = Recipient.objects.filter(email__company__slug="stress-tracking-bv")
    statuses = Counter(str(r.status(now)) for r in recipients.select_related("email"))
    events = DeliveryEvent.objects.filter(recipient__in=recipients)
    return {
        "webhooks": InboundWebhook.objects.count(),
        "webhooks_processed": InboundWebhook.objects.filter(processed_at__isnull=False).count(),
        "webhooks_failed": InboundWebhook.objects.exclude(error="").count(),
        "events": dict(events.values_list("type").annotate(n=Count("pk"))),
        "duplicate_events": events.count() - events.values("provider_event_id").distinct().count(),
        "statuses": dict(statuses),
        "by_address": {r.address: str(r.status(now)) for r in recipients.select_related("email")},
    }


def counts() -> dict:
    from django.db.models import Count

    from porto.mail.models import BulkJob, DeliveryAttempt, OutgoingEmail

    states = dict(OutgoingEmail.objects.values_list("state").annotate(n=Count("pk")))
    bulk_jobs = BulkJob.objects.count()
    outcomes = dict(DeliveryAttempt.objects.values_list("outcome").annotate(n=Count("pk")))
    return {
        "states": states,
        "interrupted": outcomes.get(DeliveryAttempt.Outcome.INTERRUPTED, 0),
        "recovered": outcomes.get(DeliveryAttempt.Outcome.RECOVERED, 0),
        "bulk_jobs": bulk_jobs,
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porto.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "seed":
        result = seed(int(args[0]), *args[1:])
    elif command == "documents":
        result = documents(int(args[0]), args[1])
    elif command == "own-smtp":
        result = own_smtp(int(args[0]), args[1], int(args[2]))
    elif command == "tracked":
        result = tracked(int(args[0]))
    elif command == "tracked-counts":
        result = tracked_counts()
    else:
        result = counts()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

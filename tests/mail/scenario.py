"""A bulk send run by real worker processes: `python -m tests.mail.scenario seed COUNT [NAME]`
fills the database named by DATABASE_URL and queues one bulk send (for the company NAME, "Acme
BV" by default); `... documents COUNT NAME` makes finalized documents and a user who can send
them, without sending; `... counts` prints where the emails stand. Used by the crash and scale
tests and by the sending benchmark."""

import json
import os
import sys


def documents_new(count: int, name: str):
    from django.utils.text import slugify

    from porto.documents.models import RenderedFile
    from porto.documents.rendering.files import rendered_file_store
    from tests.factories import make_company, make_finalized_in_bulk
    from tests.mail.conftest import small_pdf

    slug = slugify(name)
    company = make_company(name, slug=slug, email=f"office@{slug}.example")
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
    from django.db import transaction

    from porto.mail.requests import bulk_send
    from porto.mail.tasks import wake_on_commit

    company, documents = documents_new(count, name)
    with transaction.atomic():  # as the bulk send page does: rows and wake-ups commit together
        job = bulk_send(company, [d.pk for d in documents])
        wake_on_commit(list(job.emails.values_list("pk", flat=True)))
    return {"job": job.pk, "queued": job.counts()["queued"]}


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
    else:
        result = counts()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""A bulk send run by real worker processes: `python -m tests.mail.scenario seed COUNT` fills the
database named by DATABASE_URL and queues one bulk send; `... counts` prints where the emails
stand. Used by the crash and scale tests and by the sending benchmark."""

import json
import os
import sys


def seed(count: int) -> dict:
    from django.db import transaction

    from porto.documents.models import RenderedFile
    from porto.documents.rendering.files import rendered_file_store
    from porto.mail.requests import bulk_send
    from porto.mail.tasks import wake_on_commit
    from tests.factories import make_company, make_finalized_in_bulk
    from tests.mail.conftest import small_pdf

    company = make_company("Acme BV", slug="acme-bv", email="office@acme.example")
    documents = make_finalized_in_bulk(company, count, clients=30)
    for document in documents:  # pre-rendered files: each document its own bytes
        rendered_file_store(document, RenderedFile.Format.PDF, small_pdf(document.number))
    with transaction.atomic():  # as the bulk send page does: rows and wake-ups commit together
        job = bulk_send(company, [d.pk for d in documents])
        wake_on_commit(list(job.emails.values_list("pk", flat=True)))
    return {"job": job.pk, "queued": job.counts()["queued"]}


def counts() -> dict:
    from django.db.models import Count

    from porto.mail.models import DeliveryAttempt, OutgoingEmail

    states = dict(OutgoingEmail.objects.values_list("state").annotate(n=Count("pk")))
    outcomes = dict(DeliveryAttempt.objects.values_list("outcome").annotate(n=Count("pk")))
    return {
        "states": states,
        "interrupted": outcomes.get(DeliveryAttempt.Outcome.INTERRUPTED, 0),
        "recovered": outcomes.get(DeliveryAttempt.Outcome.RECOVERED, 0),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porto.settings")
    import django

    django.setup()
    command = sys.argv[1]
    result = seed(int(sys.argv[2])) if command == "seed" else counts()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

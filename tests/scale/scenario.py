"""The scale test's database side, run in its own process against DATABASE_URL, as the web
app would: `python -m tests.scale.scenario prepare A_COUNT A_PORT A_PER_MINUTE B_PORT` makes
two companies sending through their own SMTP servers, with finalized invoices and their
PDFs; `... send SLUG` bulk-sends every invoice of that company (rows and wake-ups commit
together) once a line arrives on its standard input (so the moment is the test's, not that
of a process starting) and prints when it was sent and committed; `... counts` prints where the emails stand and how
often each periodic job ran."""

import json
import os
import sys
import time

LARGE = "Groothandel Janssens BV"
SMALL = "Bakkerij Peeters"


def prepare(large_count: int, large_port: int, large_per_minute: int, small_port: int) -> dict:
    from porto.emailsettings.models import EmailSettings
    from tests.mail.scenario import company_with_own_smtp

    large = company_with_own_smtp(LARGE, large_count, large_port, large_per_minute)
    default_rate = EmailSettings._meta.get_field("smtp_per_minute").get_default()
    small = company_with_own_smtp(SMALL, 1, small_port, default_rate)
    return {"large": large.slug, "small": small.slug}


def send(slug: str) -> dict:
    from django.db import transaction

    from porto.documents.models import Document
    from porto.mail.requests import bulk_send
    from porto.mail.tasks import wake_on_commit

    documents = Document.objects.filter(company__slug=slug).order_by("pk")
    company = documents.first().company
    sys.stdin.readline()  # the go
    sent_at = time.time()  # the moment Send is pressed: the request's own time counts too
    with transaction.atomic():  # as the bulk send page does: rows and wake-ups commit together
        job = bulk_send(company, list(documents.values_list("pk", flat=True)))
        emails = list(job.emails.values_list("pk", flat=True))
        wake_on_commit(emails)
    return {"queued": len(emails), "sent_at": sent_at, "committed_at": time.time()}


def counts() -> dict:
    from django.db.models import Count

    from porto.mail.models import OutgoingEmail, PeriodicJob

    states = OutgoingEmail.objects.values_list("company__slug", "state").annotate(n=Count("pk"))
    by_company: dict[str, dict[str, int]] = {}
    for slug, state, n in states:
        by_company.setdefault(slug, {})[state] = n
    jobs = {job.name: job.runs for job in PeriodicJob.objects.all()}
    return {"states": by_company, "periodic_runs": jobs}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porto.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "prepare":
        result = prepare(*(int(a) for a in args))
    elif command == "send":
        result = send(args[0])
    else:
        result = counts()
    print(json.dumps(result))


if __name__ == "__main__":
    main()

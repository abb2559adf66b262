"""Bulk send throughput through the whole pipeline (bulk request, claim, compose, SMTP hand-off,
recording the answer), files pre-rendered, to a local SMTP server; against the floor of a plain
smtplib loop sending the same prebuilt messages over one connection to the same server.
The ratio (pipeline / floor, in emails per second) is measured in the same run."""

import smtplib

from bench import Result, measure

EMAILS_PER_RUN = 50


def seed(count: int) -> list[int]:
    from django.conf import settings

    from bench.data import company_new, finalized_in_bulk, small_pdf
    from porto.documents.models import RenderedFile
    from porto.documents.rendering.files import rendered_file_store

    settings.PORTO_MAIL_TRANSPORT = "sandbox"
    company = company_new("Bench Mail BV", slug="bench-mail-bv", email="office@bench.example")
    documents = finalized_in_bulk(company, count)
    for document in documents:
        rendered_file_store(document, RenderedFile.Format.PDF, small_pdf(document.number))
    return [d.pk for d in documents]


def pipeline(company, document_ids: list[int]) -> None:
    from porto.mail.models import OutgoingEmail
    from porto.mail.requests import bulk_send
    from porto.mail.tasks import WAKE_BATCH, deliver_emails

    job = bulk_send(company, document_ids)
    ids = list(job.emails.values_list("pk", flat=True))
    for start in range(0, len(ids), WAKE_BATCH):
        deliver_emails.call(ids[start : start + WAKE_BATCH])  # what a worker runs
    assert job.emails.filter(state=OutgoingEmail.State.SENT).count() == len(document_ids)


def prebuilt_messages(company) -> list[tuple[str, list[str], bytes]]:
    from porto.mail.compose import as_bytes, compose
    from porto.mail.models import OutgoingEmail

    emails = OutgoingEmail.objects.filter(company=company).order_by("-pk")[:EMAILS_PER_RUN]
    return [
        (e.from_address, [r.address for r in e.recipients.all()], as_bytes(compose(e)))
        for e in emails
    ]


def floor(port: int, messages) -> None:
    with smtplib.SMTP("127.0.0.1", port) as session:
        for sender, recipients, data in messages:
            session.sendmail(sender, recipients, data)


def rate(result: Result) -> float:
    return round(EMAILS_PER_RUN / (result.median_ms / 1000), 1)


def run(runs: int = 20) -> list[Result]:
    import logging

    from django.conf import settings

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the server's per-command log
    from bench.data import SmtpSink
    from porto.accounts.models import Company

    server = SmtpSink()
    server.start()
    try:
        settings.PORTO_SANDBOX_SMTP_PORT = server.port_number
        document_ids = seed(EMAILS_PER_RUN)
        company = Company.objects.get(slug="bench-mail-bv")
        sending = measure(
            "bulk_send_pipeline", lambda: pipeline(company, document_ids), runs, warmup=1
        )
        messages = prebuilt_messages(company)
        plain = measure("smtplib_floor", lambda: floor(server.port_number, messages), runs)
    finally:
        server.stop()
    sending.notes = {
        "emails_per_run": EMAILS_PER_RUN,
        "emails_per_s": rate(sending),
        "ratio_to_floor": round(rate(sending) / rate(plain), 3),
    }
    plain.notes = {"emails_per_run": EMAILS_PER_RUN, "emails_per_s": rate(plain)}
    return [sending, plain]

"""Reads of the outbox for pages and the API."""

from porto.mail.models import BulkJob, OutgoingEmail


def bulk_job_problems(job: BulkJob) -> list[dict]:
    """Every document of a bulk send that did not go out, with the reason: the ones refused
    when the send was asked for, then the emails that failed."""
    failed = (
        job.emails.filter(state=OutgoingEmail.State.FAILED)
        .select_related("document")
        .order_by("pk")
    )
    return list(job.skipped) + [
        {"document": email.document_id, "number": email.document.number, "reason": email.last_error}
        for email in failed
    ]

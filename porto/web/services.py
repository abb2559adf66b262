"""The send pop-up's and the bulk send's one write: send once per idempotency key."""

from django.db import IntegrityError, transaction

from porto.accounts.models import Company
from porto.mail.models import BulkJob, OutgoingEmail
from porto.mail.requests import SendRequest, bulk_send, email_send
from porto.web.models import BulkSendKey, SendKey


def email_send_once(key: str, request: SendRequest) -> tuple[OutgoingEmail | None, bool]:
    """(email, sent_now). A key already used returns its email and sends nothing; a send that
    fails validation raises and leaves the key free."""
    existing = SendKey.objects.filter(key=key).select_related("email").first()
    if existing is not None:
        return existing.email, False
    try:
        with transaction.atomic():
            send_key = SendKey.objects.create(key=key)
            email = email_send(request)
            send_key.email = email
            send_key.save(update_fields=["email"])
    except IntegrityError:
        # The same key committed meanwhile (two clicks at once): that one sent it.
        taken = SendKey.objects.filter(key=key).select_related("email").first()
        return (taken.email if taken else None), False
    return email, True


def bulk_send_once(
    key: str, company: Company, document_ids: list[int], created_by=None
) -> tuple[BulkJob, bool]:
    """(job, started_now). A key already used returns the job it started and queues nothing;
    a bulk send that fails validation raises and leaves the key free. An empty key (a page
    from before keys) always starts a job."""
    if not key:
        return bulk_send(company, document_ids, created_by=created_by), True
    existing = BulkSendKey.objects.filter(company=company, key=key).first()
    if existing is not None and existing.job is not None:
        return existing.job, False
    try:
        with transaction.atomic():
            bulk_key = BulkSendKey.objects.create(company=company, key=key)
            job = bulk_send(company, document_ids, created_by=created_by)
            bulk_key.job = job
            bulk_key.save(update_fields=["job"])
    except IntegrityError:
        # The same key committed meanwhile (two clicks at once): that one started it.
        taken = BulkSendKey.objects.filter(company=company, key=key).first()
        if taken is None or taken.job is None:
            raise
        return taken.job, False
    return job, True

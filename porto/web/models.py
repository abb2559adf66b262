"""What the web pages keep of their own: the idempotency keys of the send pop-up."""

from django.db import models
from django.utils import timezone


class SendKey(models.Model):
    """One key per rendered send pop-up: a second POST with the same key (a double click, a
    resubmitted form) finds it taken and sends nothing. Written in the send's transaction,
    so a refused send frees its key again."""

    key = models.CharField(max_length=64, unique=True)
    email = models.ForeignKey("mail.OutgoingEmail", on_delete=models.CASCADE, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class BulkSendKey(models.Model):
    """One key per rendered "Send documents" summary: posting it again (a double click, the
    browser's back and resubmit) finds the job it started and queues nothing more. Written in
    the bulk send's transaction, so a refused bulk send frees its key again."""

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    job = models.ForeignKey("mail.BulkJob", on_delete=models.CASCADE, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="bulk_send_key_per_company")
        ]

    def __str__(self) -> str:
        return self.key

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

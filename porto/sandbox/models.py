"""What the sandbox mail server received: the raw bytes, byte for byte, and a summary."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company


class SandboxMessage(models.Model):
    # Set only when the X-Porto-Company header names an existing company; the inbox also
    # requires the viewer's membership of that company.
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sandbox_messages",
        verbose_name=_("company"),
    )
    porto_email_id = models.PositiveBigIntegerField(
        _("outgoing email id"), null=True, blank=True, help_text=_("From the X-Porto-Email header.")
    )
    envelope_from = models.TextField(_("envelope sender"), blank=True)
    envelope_recipients = models.JSONField(_("envelope recipients"), default=list)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size in bytes"))
    subject = models.TextField(_("subject"), blank=True)
    from_header = models.TextField(_("from"), blank=True)
    to_header = models.TextField(_("to"), blank=True)
    date_header = models.DateTimeField(_("date"), null=True, blank=True)
    message_id = models.TextField(_("Message-ID"), blank=True, db_index=True)
    attachment_count = models.PositiveSmallIntegerField(_("attachments"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("sandbox message")
        verbose_name_plural = _("sandbox messages")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["company", "-received_at"], name="sandbox_inbox")]

    def __str__(self) -> str:
        return self.subject or str(_("(no subject)"))

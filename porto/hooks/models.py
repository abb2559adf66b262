"""Outbound webhooks: a company's endpoints, the messages waiting for them (an outbox) and
every attempt to deliver one."""

import datetime
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company
from porto.lib.crypto import EncryptedTextField


def message_id_new() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEndpoint(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list)  # types of events.EVENT_TYPES
    secret = EncryptedTextField(editable=False)
    # After a rotation the old secret signs too, beside the new one, until this time, so that
    # the receiving software can switch without refusing events.
    previous_secret = EncryptedTextField(editable=False, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now: datetime.datetime) -> list[str]:
        """The secret, and the previous one while it still signs."""
        until = self.previous_secret_until
        still = self.previous_secret and until is not None and now < until
        return [self.secret, self.previous_secret] if still else [self.secret]


class WebhookMessage(models.Model):
    """One event for one endpoint. The row is the truth; a task only wakes a worker."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=40, unique=True, default=message_id_new)
    event_type = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=120)
    body = models.TextField()  # the JSON sent, unchanged by retries
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "dedupe_key"], name="webhook_message_once_per_endpoint"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookAttempt(models.Model):
    class Error(models.TextChoices):
        HTTP_STATUS = "http_status", _("The endpoint answered with an error status")
        TIMEOUT = "timeout", _("The endpoint did not answer in time")
        CONNECTION = "connection", _("Could not connect to the endpoint")
        UNSAFE_URL = "unsafe_url", _("The endpoint's address is refused")

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=20, choices=Error.choices, blank=True)
    detail = models.CharField(max_length=300, blank=True)  # the system's own words, as said
    duration_ms = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.message} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

"""The outbox and what happened to every email.

``OutgoingEmail`` is the truth about one send of one document: who sends, to whom, what, and
where it stands in the outbox (queued, being handed off, sent, failed). Each ``Recipient``
keeps the facts of ``porto.mail.status`` as columns; ``DeliveryEvent`` is the append-only log
those facts are merged from (see ``porto.mail.events``). Attachments keep the exact bytes sent,
stored once per content (``AttachmentBlob``, keyed by SHA-256).
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company
from porto.documents.models import Document
from porto.emailtexts.models import EmailText
from porto.mail.keys import pixel_key_new
from porto.mail.providers import policy_for, provider_of_backend
from porto.mail.status import Facts, Failure, Status, shown_status, status_choices


class TransportName(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox")
    PROVIDER = "provider", _("Email provider")
    SMTP = "smtp", _("Own mailbox (SMTP)")


class FileFormat(models.TextChoices):
    PDF = "pdf", _("PDF")
    UBL = "ubl", _("UBL")
    PDF_UBL = "pdf+ubl", _("PDF + UBL")


class BulkJob(models.Model):
    """Many documents sent at once: one email per document, counted for a progress bar."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="bulk_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    requested = models.PositiveIntegerField(default=0)
    # [{"document": id, "number": "2026-00042", "reason": {"code": ..., "params": ...}}] for
    # documents not queued (porto.mail.reasons; rows from before codes hold plain text).
    skipped = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Bulk send {self.pk} ({self.requested} documents)"

    def counts(self) -> dict[str, int]:
        """queued (still in the outbox), sent, failed and skipped: one query."""
        by_state = self.emails.aggregate(
            queued=Count(
                "pk", filter=Q(state__in=[OutgoingEmail.State.QUEUED, OutgoingEmail.State.SENDING])
            ),
            sent=Count("pk", filter=Q(state=OutgoingEmail.State.SENT)),
            failed=Count("pk", filter=Q(state=OutgoingEmail.State.FAILED)),
        )
        return {**by_state, "skipped": len(self.skipped), "requested": self.requested}


class OutgoingEmail(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")  # waiting for a worker (maybe for a retry's time)
        SENDING = "sending", _("Sending")  # a worker holds the lease
        SENT = "sent", _("Sent")  # every recipient has an answer; at least one accepted
        FAILED = "failed", _("Failed")  # no recipient accepted it

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="emails")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="emails")
    bulk_job = models.ForeignKey(
        BulkJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    transport = models.CharField(max_length=10, choices=TransportName.choices)
    from_name = models.CharField(max_length=200)
    from_address = models.CharField(max_length=254)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    language = models.CharField(max_length=2)
    file_format = models.CharField(max_length=8, choices=FileFormat.choices)
    email_text = models.ForeignKey(
        EmailText,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The email text the subject and body started from."),
    )
    track_opens = models.BooleanField(default=False)
    message_id = models.CharField(max_length=255, unique=True)  # without the angle brackets

    class Held(models.TextChoices):
        """Why a queued email waits untried (porto.mail.gate); "" when it is not held."""

        NO = "", _("Not held")
        RATE = "rate", _("Waiting for the sending limit")
        PAUSED = "paused", _("Sending paused")

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # Set while a queued email waits at the gate without being tried (its next_attempt_at is
    # when it may go); cleared by its next hand-off.
    held = models.CharField(max_length=10, choices=Held.choices, default=Held.NO, blank=True)
    # The document's files are attached by the worker (bulk sends); until then this is True.
    files_pending = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    woken_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Stored reasons (porto.mail.reasons): a code with parameters, a list of them, or the
    # plain text of rows from before codes. Shown with reason_render.
    last_error = models.JSONField(default=str, blank=True)
    # Written at hand-off: which way the email went ("smtp", "sandbox" or the anymail
    # provider's name) and through which account (SMTP host and user, provider account).
    # Provider events and Update status only ever concern emails sent through them.
    sent_through = models.CharField(max_length=40, blank=True)
    sent_account = models.CharField(max_length=255, blank=True)
    # Update status (porto.mail.feedback.refresh): one at a time per email, with a cooldown.
    refresh_started_at = models.DateTimeField(null=True, blank=True)
    refresh_finished_at = models.DateTimeField(null=True, blank=True)
    # Why the last Update status failed: a stored reason (porto.mail.reasons); "" if it worked.
    refresh_error = models.JSONField(blank=True, default=str)
    # The badge without the clock (porto.mail.status.email_status), written only by
    # porto.mail.status_store; the overview filters on it (In transit is Unknown from
    # unknown_after on).
    shown_status = models.CharField(
        max_length=10, choices=status_choices(), default=Status.IN_TRANSIT.value
    )
    unknown_after = models.DateTimeField(null=True, blank=True)
    some_failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["company", "-created_at"]),
            models.Index(fields=["shown_status", "unknown_after"], name="email_shown_status"),
        ]

    def __str__(self) -> str:
        return f"Email {self.pk} for {self.document}"

    @property
    def is_final(self) -> bool:
        return self.state in (self.State.SENT, self.State.FAILED)

    @property
    def message_id_header(self) -> str:
        return f"<{self.message_id}>"

    @property
    def provider(self) -> str:
        """Who can be asked about this email: sandbox, smtp, or the anymail provider's name.
        The way it went, as recorded at hand-off; before that, the way it would go today."""
        if self.sent_through:
            return self.sent_through
        if self.transport == TransportName.PROVIDER:
            return provider_of_backend(settings.PORTO_ANYMAIL_BACKEND)
        return str(self.transport)

    @property
    def in_transit_for(self) -> datetime.timedelta:
        """Own SMTP: a few days, then Unknown. Elsewhere: as long as the provider can still
        be asked (its refresh window), at most PORTO_MAIL_REFRESH_WINDOW_DAYS."""
        if self.transport == TransportName.SMTP:
            return datetime.timedelta(days=settings.PORTO_MAIL_SMTP_IN_TRANSIT_DAYS)
        longest = datetime.timedelta(days=settings.PORTO_MAIL_REFRESH_WINDOW_DAYS)
        window = policy_for(self.provider).window
        return min(window, longest) if window else longest


class Recipient(models.Model):
    class Kind(models.TextChoices):
        TO = "to", _("To")
        CC = "cc", _("Cc")
        BCC = "bcc", _("Bcc")

    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="recipients")
    kind = models.CharField(max_length=3, choices=Kind.choices, default=Kind.TO)
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=254)
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    # The random half of this recipient's open-pixel token (porto.mail.feedback.pixel).
    pixel_key = models.CharField(max_length=64, default=pixel_key_new, editable=False)

    # The facts of porto.mail.status.Facts; written only by porto.mail.events.
    accepted_at = models.DateTimeField(null=True, blank=True)
    last_deferred_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.JSONField(default=str, blank=True)  # a stored reason
    human_open_at = models.DateTimeField(null=True, blank=True)
    machine_open_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    # The latest temporary problem, shown while the email waits for a retry.
    last_deferral_reason = models.JSONField(default=str, blank=True)  # a stored reason

    FACT_FIELDS = (
        "accepted_at",
        "last_deferred_at",
        "delivered_at",
        "failed_at",
        "failure_code",
        "failure_reason",
        "human_open_at",
        "machine_open_at",
        "complained_at",
    )

    class Meta:
        ordering = ["email", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["email", "address"], name="recipient_once_per_email")
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def is_settled(self) -> bool:
        """The transport has answered for this address: accepted or refused for good."""
        return self.accepted_at is not None or self.failed_at is not None

    def facts(self) -> Facts:
        failure = None
        if self.failed_at is not None:
            failure = Failure(at=self.failed_at, code=self.failure_code, reason=self.failure_reason)
        return Facts(
            accepted_at=self.accepted_at,
            last_deferred_at=self.last_deferred_at,
            delivered_at=self.delivered_at,
            failure=failure,
            human_open_at=self.human_open_at,
            machine_open_at=self.machine_open_at,
            complained_at=self.complained_at,
        )

    def set_facts(self, facts: Facts) -> list[str]:
        """Copy ``facts`` onto the columns; the names of the columns that changed."""
        values = {
            "accepted_at": facts.accepted_at,
            "last_deferred_at": facts.last_deferred_at,
            "delivered_at": facts.delivered_at,
            "failed_at": facts.failed_at,
            "failure_code": facts.failure.code if facts.failure else "",
            "failure_reason": facts.failure.reason if facts.failure else "",
            "human_open_at": facts.human_open_at,
            "machine_open_at": facts.machine_open_at,
            "complained_at": facts.complained_at,
        }
        changed = [name for name, value in values.items() if getattr(self, name) != value]
        for name in changed:
            setattr(self, name, values[name])
        return changed

    def status(self, now: datetime.datetime | None = None) -> Status:
        return shown_status(
            self.facts(),
            now=now or timezone.now(),
            handed_off_at=self.email.handed_off_at,
            in_transit_for=self.email.in_transit_for,
            track_opens=self.email.track_opens,
        )


class AttachmentBlob(models.Model):
    """Bytes as sent, stored once per content."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveIntegerField()
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.sha256


class Attachment(models.Model):
    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField(default=0)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    blob = models.ForeignKey(AttachmentBlob, on_delete=models.PROTECT, related_name="+")
    is_document_file = models.BooleanField(default=False)
    # The kinds of active content removed from an attached PDF before it was stored
    # (``porto.mail.send.pdfs.ActiveContent`` values): what the sender was told.
    removed_content = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["email", "position", "pk"]

    def __str__(self) -> str:
        return self.filename

    @property
    def sha256(self) -> str:
        return self.blob_id


class DeliveryAttempt(models.Model):
    """One hand-off to the transport. Written before the network call, finished after it:
    an attempt left open by a crashed worker is closed as interrupted."""

    class Outcome(models.TextChoices):
        HANDING_OFF = "handing_off", _("Handing off")
        ANSWERED = "answered", _("Answered")
        RECOVERED = "recovered", _("Answered; recorded after the worker stopped")
        INTERRUPTED = "interrupted", _("Interrupted")

    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="attempts_log")
    number = models.PositiveIntegerField()
    lease_token = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.HANDING_OFF)
    detail = models.TextField(blank=True)
    # The transport's answer, written the moment it arrives (before the full recording).
    answer = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["email", "number"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of email {self.email_id}: {self.outcome}"


class DeliveryEvent(models.Model):
    """Append-only: every observation about a recipient, as received, deduplicated."""

    source = models.CharField(max_length=40)
    type = models.CharField(max_length=20)
    at = models.DateTimeField()
    permanent = models.BooleanField(default=True)
    machine = models.BooleanField(default=False)
    reason = models.JSONField(default=str, blank=True)  # a stored reason (porto.mail.reasons)
    code = models.CharField(max_length=40, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    recipient_address = models.CharField(max_length=254, blank=True)
    provider_event_id = models.CharField(max_length=255, blank=True)
    dedupe_key = models.CharField(max_length=300, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    recipient = models.ForeignKey(
        Recipient, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.recipient_address} at {self.at}"


class ImapCursor(models.Model):
    """How far the company's mailbox folder was read: UIDs up to ``last_uid`` under this
    UIDVALIDITY are done (a new UIDVALIDITY means the server renumbered: start again)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="imap_cursors")
    host = models.CharField(max_length=255)
    username = models.CharField(max_length=254)
    folder = models.CharField(max_length=100)
    uidvalidity = models.BigIntegerField()
    last_uid = models.BigIntegerField(default=0)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "host", "username", "folder", "uidvalidity"],
                name="imap_cursor_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.folder} of {self.company} up to UID {self.last_uid}"


class InboundWebhook(models.Model):
    """A provider's webhook request as received (after authentication), append-only.

    Stored in one INSERT before answering, projected into events by a task: the request can be
    parsed again at any time. Only the headers needed to parse it are kept (never
    Authorization)."""

    provider = models.CharField(max_length=40)
    received_at = models.DateTimeField(default=timezone.now)
    headers = models.JSONField(default=dict, blank=True)
    body = models.BinaryField()
    processed_at = models.DateTimeField(null=True, blank=True)
    events_recorded = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # What makes one delivery distinct (provider, signature token, message or event id):
    # a replayed request has the same key and is refused before it is stored again.
    delivery_key = models.CharField(max_length=300, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["processed_at"])]

    def __str__(self) -> str:
        return f"{self.provider} webhook {self.pk} at {self.received_at}"


class PixelLoad(models.Model):
    """One load of a genuine pixel token, as the view received it, append-only.

    Stored in one INSERT before the GIF is answered, projected into an opened event by a
    worker (``porto.mail.feedback.pixel_loads``): what the view knew, nothing more. The key is
    compared with the recipient's there, not in the request."""

    recipient_id = models.PositiveBigIntegerField()  # the token's, not checked yet: no key
    key = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=500, blank=True)
    remote_ip = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        # Every question is about waiting loads by time: the wake-up's (loaded since), the
        # sweeper's (loaded before), the claim's (all of them).
        indexes = [models.Index(fields=["processed_at", "loaded_at"])]

    def __str__(self) -> str:
        return f"pixel load {self.pk} of recipient {self.recipient_id} at {self.loaded_at}"


class PeriodicJob(models.Model):
    """A periodic job's schedule (porto.mail.periodic): the start of its next period, moved
    forward by the one scheduler whose claim wins."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.name


class TransportBreaker(models.Model):
    """The circuit breaker of one way out (porto.mail.breaker): a row exists only while its
    way keeps failing. ``failures`` counts the sessions in a row that failed for a reason of
    the way itself (login refused, server unreachable, TLS refused); from
    PORTO_MAIL_BREAKER_FAILURES on the way is paused (``opened_at``) and one email tries it
    again at ``probe_at``. A success deletes the row."""

    # "smtp:<company id>:<user at host:port>" or "provider:<the provider's account>"
    key = models.CharField(max_length=300, unique=True)
    transport = models.CharField(max_length=10, choices=TransportName.choices)
    # Own SMTP: the company whose settings name the server; the platform's provider: none.
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="breakers"
    )
    account = models.CharField(max_length=255)
    failures = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=12)  # porto.mail.transports.base.WayDown
    reason = models.JSONField(default=str, blank=True)  # the last failure, a stored reason
    code = models.CharField(max_length=40, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    probe_at = models.DateTimeField(null=True, blank=True)
    probes_failed = models.PositiveIntegerField(default=0)
    failed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Breaker of {self.key}: {self.failures} failures"

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


class SendingLimit(models.Model):
    """One key's token bucket and lines for the database store of the sending limits
    (porto.mail.limits.stores): the embedded default; with RQ the buckets live in Redis."""

    key = models.CharField(max_length=255, unique=True)  # "smtp:host:port:user", …
    tokens = models.FloatField()
    updated = models.FloatField()  # epoch seconds
    lanes = models.JSONField(default=dict, blank=True)  # lane → its next free slot

    def __str__(self) -> str:
        return self.key

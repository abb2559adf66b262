"""The emails of a document as the API shows them: the stored status, each recipient's status,
facts, failure reason and events, and the tracking flags. Reasons are rendered in the request's
language (``porto.mail.reasons``); statuses are read from their homes (``porto.mail.status``)."""

from collections.abc import Mapping

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from porto.mail.models import Attachment, DeliveryEvent, OutgoingEmail, Recipient
from porto.mail.reasons import reason_render
from porto.mail.status import Status, status_at
from porto.mail.timeline import email_read_outlook

STATUSES = [str(status) for status in Status]


def reason_output(stored: object) -> dict | None:
    """A stored reason as ``{"code", "message"}`` (None when there is none); rows stored before
    codes have the code ``unknown``."""
    if not stored:
        return None
    code = stored.get("code") if isinstance(stored, Mapping) else None
    return {"code": code if isinstance(code, str) else "unknown", "message": reason_render(stored)}


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField(help_text="Stable: branch on it.")
    message = serializers.CharField(help_text="In the request's language.")


class EventOutput(serializers.ModelSerializer):
    provider = serializers.CharField(source="source", help_text="Who reported it.")
    reason = serializers.SerializerMethodField()

    class Meta:
        model = DeliveryEvent
        fields = ["type", "at", "provider", "permanent", "machine", "reason", "received_at"]

    @extend_schema_field(ReasonOutput(allow_null=True))
    def get_reason(self, event: DeliveryEvent) -> dict | None:
        return reason_output(event.reason)


class FactsOutput(serializers.ModelSerializer):
    class Meta:
        model = Recipient
        fields = [
            "accepted_at",
            "last_deferred_at",
            "delivered_at",
            "failed_at",
            "human_open_at",
            "machine_open_at",
            "complained_at",
        ]


def described(text: str) -> serializers.CharField:
    """A word from a fixed set, named in the text (an enum would collide in the schema with
    the other resources' fields of the same name)."""
    return serializers.CharField(read_only=True, help_text=text)


STATUS_TEXT = "One of: " + ", ".join(STATUSES) + "."


class RecipientOutput(serializers.ModelSerializer):
    kind = described("to, cc or bcc.")
    status = serializers.SerializerMethodField()
    facts = FactsOutput(source="*")
    failure = serializers.SerializerMethodField()
    deferral = serializers.SerializerMethodField()
    events = EventOutput(many=True, read_only=True)

    class Meta:
        model = Recipient
        fields = ["kind", "name", "address", "status", "facts", "failure", "deferral", "events"]

    @extend_schema_field(described(STATUS_TEXT))
    def get_status(self, recipient: Recipient) -> str:
        return str(recipient.status(self.context.get("now")))

    @extend_schema_field(ReasonOutput(allow_null=True, help_text="Why it failed."))
    def get_failure(self, recipient: Recipient) -> dict | None:
        return reason_output(recipient.failure_reason) if recipient.failed_at else None

    @extend_schema_field(ReasonOutput(allow_null=True, help_text="The latest delay's reason."))
    def get_deferral(self, recipient: Recipient) -> dict | None:
        return reason_output(recipient.last_deferral_reason)


class AttachmentOutput(serializers.ModelSerializer):
    size = serializers.IntegerField(source="blob.size")
    removed_content = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What Porto removed from this PDF before sending it: javascript, launch, "
        "embedded_files, form_actions. Empty when it goes out as attached.",
    )

    class Meta:
        model = Attachment
        fields = ["filename", "content_type", "size", "is_document_file", "removed_content"]


class TrackingOutput(serializers.Serializer):
    opens_tracked = serializers.BooleanField(help_text="The email carries a tracking image.")
    read_outlook = serializers.CharField(
        help_text="Why it can or cannot become read: own_smtp, tracking_off, read, "
        "machine_only, failed or waiting."
    )


class EmailOutput(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    state = described("The outbox: queued, sending, sent (handed off) or failed.")
    file_format = described("pdf, ubl or pdf+ubl.")
    provider = serializers.CharField(help_text="The way it went: sandbox, smtp or a provider.")
    error = serializers.SerializerMethodField()
    tracking = serializers.SerializerMethodField()
    recipients = RecipientOutput(many=True, read_only=True)
    attachments = AttachmentOutput(many=True, read_only=True)
    updated_at = serializers.DateTimeField(help_text="The last change: for updated_since.")

    class Meta:
        model = OutgoingEmail
        fields = [
            "id",
            "document",
            "bulk_job",
            "status",
            "some_failed",
            "state",
            "subject",
            "language",
            "file_format",
            "provider",
            "created_at",
            "handed_off_at",
            "finished_at",
            "error",
            "tracking",
            "recipients",
            "attachments",
            "updated_at",
        ]

    @extend_schema_field(described("The email's badge: " + STATUS_TEXT))
    def get_status(self, email: OutgoingEmail) -> str:
        now = self.context.get("now") or timezone.now()
        return str(status_at(Status(email.shown_status), email.unknown_after, now))

    @extend_schema_field(ReasonOutput(allow_null=True, help_text="Why the outbox gave up."))
    def get_error(self, email: OutgoingEmail) -> dict | None:
        return reason_output(email.last_error)

    @extend_schema_field(TrackingOutput)
    def get_tracking(self, email: OutgoingEmail) -> dict:
        outlook = email_read_outlook(email, list(email.recipients.all()))
        return {"opens_tracked": email.track_opens, "read_outlook": str(outlook)}

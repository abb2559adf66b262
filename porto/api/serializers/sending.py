"""Sending one document and bulk sends: what may be sent (input) and the bulk job (output).
The input is only parsed here; every check is ``send_problems``'s (porto/mail/send/)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from porto.api.serializers.base import StrictInputSerializer
from porto.api.serializers.emails import ReasonOutput, reason_output
from porto.mail.models import BulkJob, FileFormat


def addresses(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=True),
        required=False,
        help_text=help_text,
    )


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.Field):
    """An uploaded file taken as it came: the send checks judge it (a nameless or empty file
    gets its own message there, beside every other file's)."""

    default_error_messages = {"not_a_file": gettext_lazy("Send a file here (multipart/form-data).")}

    def to_internal_value(self, data):
        if not hasattr(data, "read"):
            self.fail("not_a_file")
        return data

    def to_representation(self, value):
        return getattr(value, "name", "")


class SendInput(StrictInputSerializer):
    to = addresses(
        "Addresses (`x@example.com` or `Name <x@example.com>`). Leave out for the client's "
        "default address."
    )
    cc = addresses("Copies.")
    bcc = addresses("Blind copies.")
    email_text = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The id of an email text of the document's kind; default: the default text "
        "of the client's language.",
    )
    subject = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Default: the email text's subject, filled in.",
    )
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Plain text. Default: the email text's body, filled in.",
    )
    file_format = serializers.CharField(
        required=False,
        help_text=f"One of {', '.join(FileFormat.values)}; UBL only for invoices and credit "
        "notes. Default: the company's default format.",
    )
    attachments = serializers.ListField(
        child=UploadField(),
        required=False,
        help_text="Extra files (multipart/form-data only): at most 10, 5 MB each, 25 MB together.",
    )
    save_new_addresses = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Add the To addresses the client does not have yet to the client.",
    )


class BulkSendInput(StrictInputSerializer):
    documents = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        max_length=1000,
        error_messages={
            "empty": gettext_lazy("Give at least one document id."),
            "required": gettext_lazy("Give the ids of the documents to send."),
        },
    )


class SkippedOutput(serializers.Serializer):
    document = serializers.IntegerField(help_text="The id as sent.")
    number = serializers.CharField(help_text="Empty for an id that was not found.")
    reason = ReasonOutput()


class BulkCountsOutput(serializers.Serializer):
    requested = serializers.IntegerField()
    queued = serializers.IntegerField(help_text="Still in the outbox.")
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()


class BulkJobOutput(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField()
    done = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    emails = serializers.SerializerMethodField()
    skipped = serializers.SerializerMethodField()

    class Meta:
        model = BulkJob
        fields = ["id", "created_at", "counts", "done", "progress", "emails", "skipped"]

    def counts_of(self, job: BulkJob) -> dict[str, int]:
        cache = self.context.setdefault("counts", {})
        if job.pk not in cache:
            cache[job.pk] = job.counts()
        return cache[job.pk]

    @extend_schema_field(BulkCountsOutput)
    def get_counts(self, job: BulkJob) -> dict[str, int]:
        return self.counts_of(job)

    def get_done(self, job: BulkJob) -> bool:
        return self.counts_of(job)["queued"] == 0

    @extend_schema_field(serializers.IntegerField(help_text="Percent of the emails handed off."))
    def get_progress(self, job: BulkJob) -> int:
        counts = self.counts_of(job)
        total = counts["queued"] + counts["sent"] + counts["failed"]
        return 100 if total == 0 else (counts["sent"] + counts["failed"]) * 100 // total

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_emails(self, job: BulkJob) -> list[int]:
        return list(job.emails.order_by("pk").values_list("pk", flat=True))

    @extend_schema_field(SkippedOutput(many=True))
    def get_skipped(self, job: BulkJob) -> list[dict]:
        return [
            {
                "document": skip.get("document"),
                "number": skip.get("number", ""),
                "reason": reason_output(skip.get("reason")),
            }
            for skip in job.skipped
        ]

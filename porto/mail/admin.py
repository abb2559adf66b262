from django.contrib import admin

from porto.accounts.admin import CompanyScopedAdmin, CompanyScopedInline
from porto.mail.models import (
    Attachment,
    BulkJob,
    DeliveryAttempt,
    DeliveryEvent,
    OutgoingEmail,
    Recipient,
)
from porto.mail.reasons import reason_render


class RecipientInline(CompanyScopedInline, admin.TabularInline):
    model = Recipient
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "address",
        "accepted_at",
        "delivered_at",
        "failed_at",
        "failure",
    ]
    fields = list(readonly_fields)

    @admin.display(description="failure reason")
    def failure(self, recipient: Recipient) -> str:
        return reason_render(recipient.failure_reason)


class AttachmentInline(CompanyScopedInline, admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    readonly_fields = ["filename", "content_type", "blob", "is_document_file"]
    fields = list(readonly_fields)


class AttemptInline(CompanyScopedInline, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "finished_at", "outcome", "detail"]
    fields = list(readonly_fields)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(CompanyScopedAdmin):
    list_display = ["pk", "company", "document", "transport", "state", "attempts", "created_at"]
    list_filter = ["state", "transport"]
    search_fields = ["message_id", "recipients__address", "document__number"]
    inlines = [RecipientInline, AttachmentInline, AttemptInline]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(CompanyScopedAdmin):
    # An event that matched no recipient has no company: only superusers see it.
    company_path = "recipient__email__company"
    list_display = ["at", "source", "type", "recipient_address", "message_id"]
    list_filter = ["source", "type"]
    readonly_fields = [f.name for f in DeliveryEvent._meta.fields]


@admin.register(BulkJob)
class BulkJobAdmin(CompanyScopedAdmin):
    list_display = ["pk", "company", "requested", "created_at"]
    readonly_fields = [f.name for f in BulkJob._meta.fields]

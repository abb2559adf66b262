from django.contrib import admin

from porto.accounts.admin import CompanyScopedAdmin
from porto.sandbox.models import SandboxMessage


@admin.register(SandboxMessage)
class SandboxMessageAdmin(CompanyScopedAdmin):
    # Scoped like the sandbox inbox: by the company the X-Porto-Company header named. A
    # message without that header (or naming no company) has no company: superusers only.
    list_display = ["received_at", "subject", "envelope_from", "company", "size"]
    list_filter = ["company"]
    search_fields = ["subject", "message_id", "envelope_from", "to_header"]
    date_hierarchy = "received_at"
    exclude = ["raw"]
    readonly_fields = [f.name for f in SandboxMessage._meta.fields if f.name != "raw"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

from django.contrib import admin
from django.http import HttpRequest

from porto.accounts.admin import CompanyScopedAdmin, CompanyScopedInline
from porto.documents.models import (
    Document,
    DocumentAllowanceCharge,
    DocumentLine,
    NumberSeries,
)
from porto.documents.services import document_recompute_totals


class DraftOnlyInline(CompanyScopedInline, admin.TabularInline):
    """Rows of a document, changeable while it is a draft."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or obj.is_draft

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or obj.is_draft

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or obj.is_draft


class DocumentLineInline(DraftOnlyInline):
    model = DocumentLine


class DocumentAllowanceChargeInline(DraftOnlyInline):
    model = DocumentAllowanceCharge


@admin.register(Document)
class DocumentAdmin(CompanyScopedAdmin):
    list_display = ["number", "kind", "status", "client", "issue_date", "total_incl_vat", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["number", "client__name"]
    readonly_fields = [
        "status",
        "number",
        "structured_communication",
        "total_excl_vat",
        "total_vat",
        "total_incl_vat",
        "amount_due",
        "finalized_at",
        "sent_at",
    ]
    inlines = [DocumentLineInline, DocumentAllowanceChargeInline]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request: HttpRequest, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        document_recompute_totals(form.instance)


@admin.register(NumberSeries)
class NumberSeriesAdmin(CompanyScopedAdmin):
    """Read-only: only finalization moves a series, so no number is ever reused or skipped."""

    list_display = ["company", "kind", "year", "last_value"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

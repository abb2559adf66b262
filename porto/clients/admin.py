from django.contrib import admin

from porto.accounts.admin import CompanyScopedAdmin, CompanyScopedInline
from porto.clients.models import Client, ClientEmail


class ClientEmailInline(CompanyScopedInline, admin.TabularInline):
    model = ClientEmail
    extra = 0


@admin.register(Client)
class ClientAdmin(CompanyScopedAdmin):
    list_display = ["name", "kind", "language", "vat_number", "city"]
    list_filter = ["kind", "language"]
    search_fields = ["name", "vat_number", "kbo_number", "emails__address"]
    inlines = [ClientEmailInline]


@admin.register(ClientEmail)
class ClientEmailAdmin(CompanyScopedAdmin):
    company_path = "client__company"
    list_display = ["address", "client", "label", "is_default"]
    search_fields = ["address"]

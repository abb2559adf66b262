from django.contrib import admin

from porto.accounts.admin import CompanyScopedAdmin
from porto.emailtexts.models import EmailText


@admin.register(EmailText)
class EmailTextAdmin(CompanyScopedAdmin):
    list_display = ["name", "company", "kind", "language", "is_default", "updated_at"]
    list_filter = ["kind", "language", "is_default"]
    search_fields = ["name", "subject"]

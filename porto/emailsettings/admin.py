from django.contrib import admin

from porto.accounts.admin import CompanyScopedAdmin
from porto.emailsettings.models import EmailSettings


@admin.register(EmailSettings)
class EmailSettingsAdmin(CompanyScopedAdmin):
    list_display = ["company", "method", "default_format", "track_opens", "updated_at"]
    list_filter = ["method", "default_format"]
    # Passwords are changed on the settings page only; the admin never shows them.
    exclude = ["smtp_password", "imap_password"]

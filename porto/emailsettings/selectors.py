"""Reads of email settings."""

from porto.accounts.models import Company
from porto.emailsettings.models import EmailSettings


def email_settings_for(company: Company) -> EmailSettings:
    """The company's email settings; the defaults (platform sending, PDF) on first use."""
    settings, _created = EmailSettings.objects.select_related("company").get_or_create(
        company=company
    )
    return settings

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailSettingsConfig(AppConfig):
    name = "porto.emailsettings"
    label = "emailsettings"
    verbose_name = _("Email settings")

    def ready(self) -> None:
        from porto.emailsettings import checks  # noqa: F401 - registers the deploy check

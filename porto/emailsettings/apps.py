from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailSettingsConfig(AppConfig):
    name = "porto.emailsettings"
    label = "emailsettings"
    verbose_name = _("Email settings")

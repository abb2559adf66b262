from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailTextsConfig(AppConfig):
    name = "porto.emailtexts"
    label = "emailtexts"
    verbose_name = _("Email texts")

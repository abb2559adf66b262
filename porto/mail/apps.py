from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "porto.mail"
    label = "mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        from porto.mail import (
            system_checks,  # noqa: F401  (registers the checks)
            tasks,  # noqa: F401  (connects the email settings receiver)
        )

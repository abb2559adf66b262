from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
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
        from porto.mail.gate import CHECKS  # registers the sending limits' gate check
        from porto.mail.limits.check import limits_check  # registered in the gate
        from porto.mail.limits.keys import limits_configured  # read once at startup
        from porto.mail.limits.rates import RateError  # a bad limit setting stops the start

        try:
            limits_configured()
        except RateError as error:
            raise ImproperlyConfigured(f"Sending limits: {error}") from error
        if limits_check not in CHECKS:
            CHECKS.append(limits_check)  # after the paused-transport check, which goes first

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HooksConfig(AppConfig):
    name = "porto.hooks"
    label = "hooks"
    verbose_name = _("Outbound webhooks")

    def ready(self) -> None:
        # Mail and documents never import this app: they send a signal at their one writer of
        # a status and of a finalization, and the receivers connected here write the messages.
        from porto.hooks import tasks  # noqa: F401  (connects the signal receivers)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "porto.sandbox"
    label = "sandbox"
    verbose_name = _("Sandbox mail server")

    def ready(self) -> None:
        # Mail reads the sandbox's inbox only through this registration: mail never imports
        # the sandbox.
        from porto.mail.feedback.refresh.services import status_client_register  # models: ready
        from porto.sandbox.status_client import SandboxClient  # registers the status client

        status_client_register("sandbox", SandboxClient)

from django.apps import AppConfig

DAY = 24 * 3600.0  # seconds


class ApiConfig(AppConfig):
    name = "porto.api"
    label = "api"

    def ready(self) -> None:
        # Registers the bearer-token scheme with drf-spectacular (an extension registers itself
        # when its module is imported).
        from porto.api import schema  # noqa: F401 - registers the OpenAPI security scheme
        from porto.api.services import idempotency_keys_purge  # needs the models loaded
        from porto.mail.periodic import job_register  # its row is a model too

        job_register("API idempotency keys purge", lambda: DAY, idempotency_keys_purge)

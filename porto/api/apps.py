from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "porto.api"
    label = "api"

    def ready(self) -> None:
        # Registers the bearer-token scheme with drf-spectacular (an extension registers itself
        # when its module is imported).
        from porto.api import schema  # noqa: F401 - registers the OpenAPI security scheme

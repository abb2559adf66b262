from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "porto.web"
    label = "web"

    def ready(self) -> None:
        from porto.web.logging_context import connect_task_signals  # needs the models loaded

        connect_task_signals()

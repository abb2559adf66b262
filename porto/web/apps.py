from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "porto.web"
    label = "web"

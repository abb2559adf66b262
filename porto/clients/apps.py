from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "porto.clients"
    label = "clients"

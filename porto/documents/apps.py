from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "porto.documents"
    label = "documents"

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "porto.accounts"
    label = "accounts"

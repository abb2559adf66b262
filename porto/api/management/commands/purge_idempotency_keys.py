"""Forget the stored answers of idempotent API requests older than 24 hours now. The scheduler
(`manage.py mail_sweeper`) also runs this once a day; an expired key is also ignored and
replaced when it is used again."""

from django.core.management.base import BaseCommand

from porto.api.services import idempotency_keys_purge


class Command(BaseCommand):
    help = "Delete API idempotency keys older than PORTO_API_IDEMPOTENCY_HOURS."

    def handle(self, *args, **options) -> None:
        count = idempotency_keys_purge()
        self.stdout.write(f"{count} idempotency keys deleted.")

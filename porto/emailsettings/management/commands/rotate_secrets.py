"""Encrypt every stored secret again with the newest key of PORTO_FERNET_KEYS: every
``EncryptedTextField`` of every installed model (mailbox passwords, webhook endpoint secrets,
stored idempotent API answers), found through the app registry so a new one is never missed.

Rotate a key (docs/security.md): put the new key first in PORTO_FERNET_KEYS (keep the old one
after it), restart, run this command, then remove the old key and restart again.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, models, transaction

from porto.lib import crypto


def encrypted_columns() -> list[tuple[type[models.Model], str]]:
    """(model, column) for every encrypted field of every installed model."""
    return [
        (model, str(field.column))
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, crypto.EncryptedTextField)
    ]


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the newest PORTO_FERNET_KEYS key."

    def handle(self, *args, **options) -> None:
        rotated = unreadable = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for model, column in encrypted_columns():
                table = connection.ops.quote_name(model._meta.db_table)
                pk = connection.ops.quote_name(str(model._meta.pk.column))  # type: ignore[union-attr]
                quoted = connection.ops.quote_name(column)
                cursor.execute(f"SELECT {pk}, {quoted} FROM {table} WHERE {quoted} <> ''")  # noqa: S608
                for row_pk, token in cursor.fetchall():
                    try:
                        fresh = crypto.rotate(token)
                    except crypto.SecretUnreadable:
                        unreadable += 1
                        label = model._meta.label
                        self.stderr.write(f"{column} of {label} {row_pk}: no key decrypts it.")
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {quoted} = %s WHERE {pk} = %s",  # noqa: S608
                        [fresh, row_pk],
                    )
                    rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} secret(s); {unreadable} unreadable.")

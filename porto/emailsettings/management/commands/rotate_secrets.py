"""Encrypt every stored SMTP/IMAP password again with the newest key of PORTO_FERNET_KEYS.

Rotate a key: put the new key first in PORTO_FERNET_KEYS (keep the old one after it), run
this command, then remove the old key.
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from porto.emailsettings.models import EmailSettings
from porto.lib import crypto

SECRET_COLUMNS = ("smtp_password", "imap_password")


class Command(BaseCommand):
    help = "Re-encrypt stored mailbox passwords with the newest PORTO_FERNET_KEYS key."

    def handle(self, *args, **options) -> None:
        table = connection.ops.quote_name(EmailSettings._meta.db_table)
        rotated = unreadable = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for column in SECRET_COLUMNS:
                cursor.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
                for pk, token in cursor.fetchall():
                    try:
                        fresh = crypto.rotate(token)
                    except crypto.SecretUnreadable:
                        unreadable += 1
                        self.stderr.write(f"{column} of settings {pk}: no key decrypts it.")
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                        [fresh, pk],
                    )
                    rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} secret(s); {unreadable} unreadable.")

"""The webhook view's two statements on ``InboundWebhook``, their SQL written once per process.

Every webhook request stores its raw request (one INSERT) and, after the commit, asks whether
an earlier request still waits for its projection (one indexed question). Through the ORM,
building each statement (query, compiler, lookups, per-field preparation) took more CPU than
the database took to run it: about 0.25 ms and 0.2 ms of each request's 1.7 ms. Here:

- the SQL text is built once per database alias from the model's own table and columns
  (``_meta``, quoted by the connection), on SQLite and PostgreSQL, the databases Porto runs
  on; any other database goes through the ORM;
- each request only prepares its values, with the fields' own ``pre_save`` and
  ``get_db_prep_save`` (``get_db_prep_value`` for the question), exactly as the ORM's INSERT
  and lookups do, so the row is the one ``InboundWebhook.objects.create`` stored
  (``tests/mail/test_webhook_rows.py`` compares them, and the question's answers with the
  queryset's, on both databases);
- the statements run through Django's connection and cursor: the same error translation (a
  delivery key already stored raises ``IntegrityError``), the same query logging;
- the INSERT is one statement, committed on its own (autocommit) when no transaction is open,
  as in the web request: no BEGIN and COMMIT around it (about 0.15 ms through
  ``transaction.atomic``, and on SQLite the write lock taken at BEGIN IMMEDIATE rather than for
  the statement alone). Inside a caller's transaction it runs in a savepoint, so that a known
  key leaves that transaction usable.

No ``pre_save``/``post_save`` signal is sent for the row: nothing in Porto listens to this
model's saves.
"""

import datetime
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from porto.mail.models import InboundWebhook

_RAW_VENDORS = ("sqlite", "postgresql")
_META = InboundWebhook._meta
_INSERTED = tuple(field for field in _META.concrete_fields if not field.primary_key)
_RECEIVED_AT: Field = _META.get_field("received_at")  # type: ignore[assignment]
_PK_COLUMN = str(_META.pk.column)


def _column(name: str) -> str:
    return str(_META.get_field(name).column)  # type: ignore[union-attr]


@dataclass(frozen=True)
class _Statements:
    insert: str  # the values of _INSERTED, in order; RETURNING the id when the database can
    returning: bool
    waiting_before: str  # (id, received at or after): one row when a pending request is found


@cache
def _statements(alias: str, vendor: str) -> _Statements:
    connection = connections[alias]
    quote = connection.ops.quote_name
    table, pk = quote(_META.db_table), quote(_PK_COLUMN)
    columns = ", ".join(quote(_column(field.name)) for field in _INSERTED)
    values = ", ".join(["%s"] * len(_INSERTED))
    returning = bool(connection.features.can_return_columns_from_insert)
    # Names from the model, quoted by the connection; every value is a parameter.
    insert = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608
    processed_at, received_at = quote(_column("processed_at")), quote(_column("received_at"))
    waiting_before = (
        f"SELECT 1 FROM {table} WHERE {processed_at} IS NULL AND {pk} < %s "  # noqa: S608
        f"AND {received_at} >= %s LIMIT 1"
    )
    return _Statements(
        insert=f"{insert} RETURNING {pk}" if returning else insert,
        returning=returning,
        waiting_before=waiting_before,
    )


def inbound_webhook_insert(
    provider: str,
    headers: dict[str, str],
    body: bytes,
    delivery_key: str,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> InboundWebhook:
    """Store one received request as ``InboundWebhook.objects.create`` would, and return the
    saved row: committed when this returns, unless a transaction is open (see above).
    ``IntegrityError`` when its delivery key is already stored: nothing is stored."""
    webhook = InboundWebhook(
        provider=provider, headers=headers, body=body, delivery_key=delivery_key
    )
    connection = connections[using]
    if connection.in_atomic_block:
        with transaction.atomic(using=using):
            return _insert(webhook, connection)
    return _insert(webhook, connection)


def _insert(webhook: InboundWebhook, connection: BaseDatabaseWrapper) -> InboundWebhook:
    using = connection.alias
    if connection.vendor not in _RAW_VENDORS:
        webhook.save(using=using, force_insert=True)
        return webhook
    statements = _statements(using, connection.vendor)
    params = [
        field.get_db_prep_save(field.pre_save(webhook, True), connection) for field in _INSERTED
    ]
    with connection.cursor() as cursor:
        cursor.execute(statements.insert, params)
        if statements.returning:
            webhook.pk = cursor.fetchone()[0]
        else:
            webhook.pk = connection.ops.last_insert_id(cursor, _META.db_table, _PK_COLUMN)
    webhook._state.adding = False
    webhook._state.db = using
    return webhook


def inbound_webhook_waiting_before(
    webhook_id: int, received_since: datetime.datetime, *, using: str = DEFAULT_DB_ALIAS
) -> bool:
    """Is a request with an id below ``webhook_id``, received at or after ``received_since``,
    still waiting for its projection (``processed_at`` empty)?"""
    connection = connections[using]
    if connection.vendor not in _RAW_VENDORS:
        return (
            InboundWebhook.objects.using(using)
            .filter(processed_at__isnull=True, pk__lt=webhook_id, received_at__gte=received_since)
            .exists()
        )
    since = _RECEIVED_AT.get_db_prep_value(received_since, connection)
    with connection.cursor() as cursor:
        cursor.execute(_statements(using, connection.vendor).waiting_before, [webhook_id, since])
        return cursor.fetchone() is not None

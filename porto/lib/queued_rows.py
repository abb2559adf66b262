"""A public endpoint's two statements on its queue table, their SQL written once per process.

The webhook view and the pixel view each store what they received in a table a worker
projects later (``InboundWebhook``, ``PixelLoad``): one INSERT per request and, after it, one
indexed question, "is a row stored before this one still waiting for its projection?" (then
the task already due to project that row takes this one too). Through the ORM, building each
statement (query, compiler, lookups, per-field preparation) took more CPU than the database
took to run it. Here:

- the SQL text is built once per model and database alias from the model's own table and
  columns (``_meta``, quoted by the connection), on SQLite and PostgreSQL, the databases Porto
  runs on; any other database goes through the ORM;
- each request only prepares its values, with the fields' own ``pre_save`` and
  ``get_db_prep_save`` (``get_db_prep_value`` for the question), exactly as the ORM's INSERT
  and lookups do, so the row is the one ``objects.create`` stores (``tests/mail/
  test_webhook_rows.py`` and ``test_pixel_loads.py`` compare them, and the question's answers
  with the queryset's, on both databases);
- the statements run through Django's connection and cursor: the same error translation (a
  unique key already stored raises ``IntegrityError``), the same query logging;
- the INSERT is one statement, committed on its own (autocommit) when no transaction is open,
  as in the web request: no BEGIN and COMMIT around it (on SQLite the write lock is taken for
  the statement alone, not from ``BEGIN IMMEDIATE``). Inside a caller's transaction it runs in
  a savepoint, so that a known key leaves that transaction usable.

No ``pre_save``/``post_save`` signal is sent for the row: nothing in Porto listens to these
models' saves. Each model needs ``processed_at`` (empty while waiting) and a time field.
"""

import datetime
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

RAW_VENDORS = ("sqlite", "postgresql")

Row = TypeVar("Row", bound=models.Model)


@dataclass(frozen=True)
class _Statements:
    inserted: tuple[models.Field, ...]  # the INSERT's fields, in its order
    insert: str  # RETURNING the id when the database can
    returning: bool
    waiting_before: str  # (id, time at or after): one row when a waiting row is found


def _column(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


@cache
def _statements(model: type[models.Model], time_field: str, alias: str) -> _Statements:
    meta, connection = model._meta, connections[alias]
    quote = connection.ops.quote_name
    inserted = tuple(field for field in meta.concrete_fields if not field.primary_key)
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))  # type: ignore[union-attr]
    columns = ", ".join(quote(str(field.column)) for field in inserted)
    values = ", ".join(["%s"] * len(inserted))
    returning = bool(connection.features.can_return_columns_from_insert)
    # Names from the model, quoted by the connection; every value is a parameter.
    insert = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608
    processed_at = quote(_column(model, "processed_at"))
    at = quote(_column(model, time_field))
    waiting_before = (
        f"SELECT 1 FROM {table} WHERE {processed_at} IS NULL AND {pk} < %s "  # noqa: S608
        f"AND {at} >= %s LIMIT 1"
    )
    return _Statements(
        inserted=inserted,
        insert=f"{insert} RETURNING {pk}" if returning else insert,
        returning=returning,
        waiting_before=waiting_before,
    )


def queued_row_insert(row: Row, time_field: str, *, using: str = DEFAULT_DB_ALIAS) -> Row:
    """Store ``row`` (new) as ``objects.create`` would and return it with its id: committed
    when this returns, unless a transaction is open (see above). ``IntegrityError`` when a
    unique value is already stored: nothing is stored."""
    connection = connections[using]
    if connection.in_atomic_block:
        with transaction.atomic(using=using):
            return _insert(row, time_field, connection)
    return _insert(row, time_field, connection)


def _insert(row: Row, time_field: str, connection: BaseDatabaseWrapper) -> Row:
    using = connection.alias
    if connection.vendor not in RAW_VENDORS:
        row.save(using=using, force_insert=True)
        return row
    statements = _statements(type(row), time_field, using)
    params = [
        field.get_db_prep_save(field.pre_save(row, True), connection)
        for field in statements.inserted
    ]
    with connection.cursor() as cursor:
        cursor.execute(statements.insert, params)
        if statements.returning:
            row.pk = cursor.fetchone()[0]
        else:
            pk_column = str(row._meta.pk.column)  # type: ignore[union-attr]
            row.pk = connection.ops.last_insert_id(cursor, row._meta.db_table, pk_column)
    row._state.adding = False
    row._state.db = using
    return row


def queued_row_waiting_before(
    model: type[models.Model],
    time_field: str,
    row_id: int,
    since: datetime.datetime,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> bool:
    """Is a row of ``model`` with an id below ``row_id``, its ``time_field`` at or after
    ``since``, still waiting for its projection (``processed_at`` empty)?"""
    connection = connections[using]
    if connection.vendor not in RAW_VENDORS:
        lookups = {"processed_at__isnull": True, "pk__lt": row_id, f"{time_field}__gte": since}
        return model._default_manager.using(using).filter(**lookups).exists()
    field = model._meta.get_field(time_field)
    prepared = field.get_db_prep_value(since, connection)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(_statements(model, time_field, using).waiting_before, [row_id, prepared])
        return cursor.fetchone() is not None

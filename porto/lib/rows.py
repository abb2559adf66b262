"""Writing many rows in few statements.

Django's ``bulk_update`` builds one ``CASE WHEN pk = … THEN …`` per row and column: with
hundreds of rows its Python side costs more than the database (a batch of 1,000 recipients
took seconds). ``rows_update`` writes the same values as one ``INSERT … ON CONFLICT (id) DO
UPDATE`` of the rows as loaded (SQLite and PostgreSQL both have it): every row exists, so
each one only updates ``fields``; no row is ever inserted and no other column changes.

``rows_insert`` stores new rows as ``bulk_create`` does, in as many statements, but prepares
each column's values once per distinct value where the preparation is a plain conversion
(text, numbers, booleans, UUIDs, foreign keys, JSON of a plain value): ``bulk_create``'s
compiler prepares every field of every object on its own, a fifth of a 1,000-email bulk send.
Every other value is prepared by its field as the ORM does (``get_db_prep_save``), and
``pre_save`` runs where a field defines one (``auto_now``), so the stored columns are the same.

``new_row`` builds a new instance as ``model(**values)`` does, but passes the values in field
order, as the ORM builds the rows it reads: ``__init__`` then skips its work per keyword and
the related-object descriptors (a third of building 1,000 emails).
"""

import functools
import uuid
from collections.abc import Sequence
from typing import TypeVar

from django.db import connections, models, router, transaction

BATCH = 500
M = TypeVar("M", bound=models.Model)


def rows_update(model: type[models.Model], rows: Sequence[models.Model], fields: list[str]) -> None:
    """Write ``fields`` of ``rows`` (fully loaded instances of ``model``, each already stored)."""
    if rows and fields:
        model._default_manager.bulk_create(
            rows,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["pk"],
            update_fields=fields,
        )


def new_row(model: type[M], values: dict[str, object]) -> M:
    """A new, unsaved ``model`` holding ``values`` (by field name or ``attname``; a related
    object stands for its id, and must be stored), its other fields at their defaults (a
    callable default is called for each row): the values ``model(**values)`` would hold,
    without the related objects kept on the instance."""
    if not values.keys() <= _names(model):
        raise TypeError(f"{model.__name__} has no field {sorted(values.keys() - _names(model))}")
    args = []
    for field in model._meta.concrete_fields:
        if field.attname in values:
            args.append(values[field.attname])
        elif field.name in values:
            args.append(_related_id(field, values[field.name]))
        else:
            args.append(field.get_default())
    return model(*args)


@functools.cache
def _names(model: type[models.Model]) -> frozenset[str]:
    fields = model._meta.concrete_fields
    return frozenset(f.attname for f in fields) | frozenset(f.name for f in fields)


def _related_id(field, related):
    if related is None:
        return None
    if related.pk is None:
        raise ValueError(f"{field.name} {related!r} is not saved yet")
    return related.pk


# Fields whose prepared value depends only on the value (and the connection): a value met
# again in the same column is prepared once. Exact classes only: a subclass may prepare
# otherwise (an encrypted field draws a new nonce per value). A foreign key is prepared by
# its target field.
_PLAIN_FIELDS = {
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateTimeField,
    models.EmailField,
    models.IntegerField,
    models.JSONField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SlugField,
    models.SmallIntegerField,
    models.TextField,
    models.UUIDField,
}
# Values kept per column: immutable, and compared with their class (True == 1, not the same).
_PLAIN_VALUES = {str, int, bool, type(None), uuid.UUID}


def rows_insert(rows: Sequence[models.Model], batch_size: int = BATCH) -> None:
    """INSERT ``rows`` (new instances of one model, without a primary key, their related
    objects already stored) in batches as ``bulk_create(rows, batch_size)`` does, and set
    each one's primary key. The model may have no database default nor generated field."""
    if not rows:
        return
    model = type(rows[0])
    fields = _insert_fields(model)
    alias = router.db_for_write(model)
    connection = connections[alias]
    if not connection.features.can_return_rows_from_bulk_insert:
        raise NotImplementedError(f"{connection.vendor} cannot return the ids of new rows")
    if any(type(row) is not model or row.pk is not None for row in rows):
        raise ValueError(f"rows_insert writes new {model.__name__} rows only")
    _take_related_ids(rows, model)
    columns = [_column(field, rows, connection) for field in fields]
    size = min(batch_size, max(connection.ops.bulk_batch_size(fields, rows), 1))
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            values = [column[start : start + size] for column in columns]
            cursor.execute(_insert_sql(model, fields, len(batch), connection), _params(values))
            returned = cursor.fetchall()  # what both backends' operations do
            for row, (pk,) in zip(batch, returned, strict=True):
                row.pk = pk
                row._state.adding = False
                row._state.db = alias


def _insert_fields(model: type[models.Model]) -> list:
    opts = model._meta
    if not isinstance(opts.pk, models.AutoField):
        raise NotImplementedError(f"{model.__name__}'s primary key is not an automatic id")
    fields = [f for f in opts.concrete_fields if f is not opts.pk]
    if any(f.generated or f.has_db_default() for f in fields):
        raise NotImplementedError(f"{model.__name__} has generated or database-default fields")
    if any(hasattr(f, "get_placeholder") for f in fields):
        raise NotImplementedError(f"{model.__name__} has a field with its own placeholder")
    return fields


def _take_related_ids(rows: Sequence[models.Model], model: type[models.Model]) -> None:
    """A foreign key assigned before its object was stored takes that object's id now, as
    ``bulk_create`` does; an object still unsaved is refused."""
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey):
            continue
        for row in rows:
            if getattr(row, field.attname) is None and field.is_cached(row):
                related = getattr(row, field.name)
                if related is not None and related.pk is None:
                    raise ValueError(f"{field.name} of {row!r} is not saved yet")
                if related is not None:
                    setattr(row, field.attname, related.pk)


def _column(field, rows: Sequence[models.Model], connection) -> list:
    """``field``'s prepared values for ``rows``, as the ORM's INSERT prepares them."""
    if type(field).pre_save is models.Field.pre_save:
        values = [getattr(row, field.attname) for row in rows]
    else:  # auto_now and the like set the value now
        values = [field.pre_save(row, True) for row in rows]
    kept: dict | None = {} if _plain(field) else None
    column = []
    for value in values:
        if value.__class__ not in _PLAIN_VALUES:
            if hasattr(value, "resolve_expression"):
                raise NotImplementedError(f"{field.name}: rows_insert writes no expressions")
            column.append(field.get_db_prep_save(value, connection=connection))
        elif kept is None:
            column.append(field.get_db_prep_save(value, connection=connection))
        else:
            key = (value.__class__, value)
            if key not in kept:
                kept[key] = field.get_db_prep_save(value, connection=connection)
            column.append(kept[key])
    return column


def _plain(field) -> bool:
    if isinstance(field, models.ForeignKey):
        return type(field) is models.ForeignKey and _plain(field.target_field)
    return type(field) in _PLAIN_FIELDS or type(field) in (models.AutoField, models.BigAutoField)


def _params(columns: list[list]) -> list:
    return [value for row in zip(*columns, strict=True) for value in row]


def _insert_sql(model: type[models.Model], fields: list, count: int, connection) -> str:
    ops = connection.ops
    opts = model._meta
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    placeholders = [["%s"] * len(fields)] * count
    returning, _none = ops.return_insert_columns([opts.pk])
    return (
        f"INSERT INTO {ops.quote_name(opts.db_table)} ({names}) "
        f"{ops.bulk_insert_sql(fields, placeholders)} {returning}"
    )

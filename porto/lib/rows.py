"""Writing many changed rows in one statement.

Django's ``bulk_update`` builds one ``CASE WHEN pk = … THEN …`` per row and column: with
hundreds of rows its Python side costs more than the database (a batch of 1,000 recipients
took seconds). ``rows_update`` writes the same values as one ``INSERT … ON CONFLICT (id) DO
UPDATE`` of the rows as loaded (SQLite and PostgreSQL both have it): every row exists, so
each one only updates ``fields``; no row is ever inserted and no other column changes.
"""

from collections.abc import Sequence

from django.db import models

BATCH = 500


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

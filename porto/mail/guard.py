"""Poison input never stops anything: one bad row is marked failed and the work goes on.

Every loop over stored rows (webhook projection, the sweeper, the worker's emails) runs each
row through ``run_guarded``: the row's work runs in its own transaction (a savepoint inside an
outer one), an exception rolls back that row only, the error is logged and written on the row
by the caller's ``mark_failed``, and the loop carries on with the next row.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")


def error_text(error: BaseException) -> str:
    """The error in one line a person can quote: its type and message, at most 500 chars."""
    text = f"{type(error).__name__}: {error}"
    # A lone surrogate or a NUL in the message must not poison the row that records it.
    text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return " ".join(text.split())[:500]


def run_guarded(
    row: str,
    work: Callable[[], T],
    mark_failed: Callable[[str], None],
    *,
    savepoint: bool = True,
) -> T | None:
    """``work()`` in its own transaction; on any exception roll it back, log it, call
    ``mark_failed(reason)`` (in another transaction) and return None. ``row`` names the row in
    the log ("webhook 12").

    ``savepoint=False`` for work that commits its own steps (the outbox commits "handing off"
    before the network call): it then runs as it is, each of its transactions rolled back on
    its own."""
    try:
        if not savepoint:
            return work()
        with transaction.atomic():
            return work()
    except Exception as error:
        logger.exception("Failed on %s; marked failed, going on", row)
        record_failure(row, mark_failed, error_text(error))
        return None


def record_failure(row: str, mark_failed: Callable[[str], None], reason: str) -> None:
    try:
        with transaction.atomic():
            mark_failed(reason)
    except Exception:  # the database itself is gone: the next loop tries again
        logger.exception("Could not mark %s failed", row)

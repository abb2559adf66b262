"""What a log line is about: the company, document, email (and webhook, user, task) in hand.

Entry points (a request of a signed-in user, a task such as the delivery of an email, the
processing of a stored webhook) bind the ids they know with ``log_context(...)`` or
``log_context_bind(...)``; ``ContextFilter`` copies them onto every record logged meanwhile,
and ``JsonFormatter`` writes each record as one JSON object per line. The ids live in a
contextvar, so threads (gunicorn's gthread workers) and asyncio tasks never see each other's.

Only ids are logged, never names, addresses or amounts: a log line carries no client data.
"""

import contextlib
import contextvars
import datetime
import json
import logging
from collections.abc import Iterator

# The ids a log line may carry, in the order they are written.
CONTEXT_KEYS = (
    "company_id",
    "document_id",
    "email_id",
    "recipient_id",
    "webhook_id",
    "user_id",
    "task_id",
)

# Each bind sets a new dict (never changed in place), so a reset restores the old one intact.
_context: contextvars.ContextVar[dict[str, int | str] | None] = contextvars.ContextVar(
    "porto_log_context", default=None
)


def log_context_get() -> dict[str, int | str]:
    return dict(_context.get() or {})


def log_context_bind(**ids: int | str | None) -> contextvars.Token:
    """Add ids to the current context (None leaves a key out); returns the token that
    ``log_context_reset`` takes to restore the context as it was."""
    unknown = set(ids) - set(CONTEXT_KEYS)
    if unknown:
        raise ValueError(f"Unknown log context keys {sorted(unknown)}: use {CONTEXT_KEYS}.")
    known = {key: value for key, value in ids.items() if value is not None}
    return _context.set(log_context_get() | known)


def log_context_reset(token: contextvars.Token) -> None:
    _context.reset(token)


@contextlib.contextmanager
def log_context(**ids: int | str | None) -> Iterator[None]:
    """The ids for the duration of a block, the context before it restored afterwards."""
    token = log_context_bind(**ids)
    try:
        yield
    finally:
        log_context_reset(token)


class ContextFilter(logging.Filter):
    """Puts the bound ids on each record (``record.company_id`` …) and ``record.context``
    (all of them) for formatters; a key not bound is None on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = log_context_get()
        for key in CONTEXT_KEYS:
            setattr(record, key, context.get(key))
        record.context = dict(context)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the bound ids,
    and the traceback when there is one. Newlines inside a message stay inside its string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = getattr(record, "context", None)
        if context is None:  # a handler without ContextFilter: read the context here
            context = log_context_get()
        line |= {key: context[key] for key in CONTEXT_KEYS if key in context}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)

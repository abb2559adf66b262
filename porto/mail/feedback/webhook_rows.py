"""The webhook view's two statements on ``InboundWebhook``, their SQL written once per process
(``porto.lib.queued_rows``, shared with the pixel's ``PixelLoad``).

Every webhook request stores its raw request (one INSERT) and, after the commit, asks whether
an earlier request still waits for its projection (one indexed question). Through the ORM,
building each statement took more CPU than the database took to run it: about 0.25 ms and
0.2 ms of each request's 1.7 ms.
"""

import datetime

from django.db import DEFAULT_DB_ALIAS

from porto.lib.queued_rows import queued_row_insert, queued_row_waiting_before
from porto.mail.models import InboundWebhook

_TIME = "received_at"


def inbound_webhook_insert(
    provider: str,
    headers: dict[str, str],
    body: bytes,
    delivery_key: str,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> InboundWebhook:
    """Store one received request as ``InboundWebhook.objects.create`` would, and return the
    saved row: committed when this returns, unless a transaction is open.
    ``IntegrityError`` when its delivery key is already stored: nothing is stored."""
    webhook = InboundWebhook(
        provider=provider, headers=headers, body=body, delivery_key=delivery_key
    )
    return queued_row_insert(webhook, _TIME, using=using)


def inbound_webhook_waiting_before(
    webhook_id: int, received_since: datetime.datetime, *, using: str = DEFAULT_DB_ALIAS
) -> bool:
    """Is a request with an id below ``webhook_id``, received at or after ``received_since``,
    still waiting for its projection (``processed_at`` empty)?"""
    return queued_row_waiting_before(InboundWebhook, _TIME, webhook_id, received_since, using=using)

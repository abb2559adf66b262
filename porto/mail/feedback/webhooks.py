"""Provider webhooks: receive (authenticate, classify, store raw) and project.

The web request does no more than prove the sender, check that the body can be read (pure
parsing, no database) and store the raw request in one INSERT; the view then wakes the
projection unless a task is already due to take it (``webhooks_waiting_before``).

A worker projects stored requests in batches (``webhooks_project``): one transaction takes
up to ``BATCH_SIZE`` waiting rows, parses each again and records all their events at once
(``porto.mail.events.events_record``: the same rules as ``record_event``, a few statements per
batch, each touched email's status decided once). A batch that fails falls back to one row
at a time, so a bad row is marked failed with its error and the others are recorded.

One row per distinct delivery: each row carries its ``delivery_key`` (unique; see
``webhook_gate.delivery_key``). A request whose key is already stored with the identical body
is a provider's retry: answered 200, not stored again. The same key with another body is a
replay of a captured signature with other data: refused (403), nothing stored.
"""

import datetime
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import requests
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from porto.lib.logcontext import log_context
from porto.mail.events import events_link_unlinked, events_record, recipient_for, record_event
from porto.mail.feedback.classify import (
    ClassificationError,
    ClassifiedEvent,
    request_rebuild,
    webhook_events_classify,
)
from porto.mail.feedback.webhook_body import parseable_body
from porto.mail.feedback.webhook_gate import delivery_key
from porto.mail.feedback.webhook_rows import inbound_webhook_insert, inbound_webhook_waiting_before
from porto.mail.guard import run_guarded
from porto.mail.models import DeliveryEvent, InboundWebhook
from porto.mail.providers.amazon_ses.auth import SNS_CERT_HOST
from porto.mail.providers.base.auth import WebhookAuthError

logger = logging.getLogger(__name__)

# The request headers the parsers read; nothing else is stored (never Authorization).
KEPT_HEADERS = (
    "Content-Type",
    "svix-id",
    "svix-timestamp",
    "webhook-id",
    "webhook-timestamp",
    "X-Amz-Sns-Message-Type",
    "X-Amz-Sns-Message-Id",
)
SNS_CONTROL_TYPES = ("SubscriptionConfirmation", "UnsubscribeConfirmation")


class WebhookReplayed(WebhookAuthError):
    """A delivery key already stored with another body: a captured signature reused."""


@dataclass(frozen=True)
class Received:
    webhook: InboundWebhook
    events: int  # classified events in the request (recorded later, by the task)
    already_received: bool = False  # a retry of a stored delivery: not stored again


def kept_headers(request: HttpRequest) -> dict[str, str]:
    return {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}


def sns_control_type(provider: str, body: bytes) -> str:
    """ "SubscriptionConfirmation"/"UnsubscribeConfirmation" for such an SNS message, else ""."""
    if provider != "amazon_ses":
        return ""
    try:
        kind = json.loads(body).get("Type", "")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return ""
    return kind if kind in SNS_CONTROL_TYPES else ""


def parse_request(provider: str, body: bytes, headers: dict[str, str]) -> HttpRequest:
    """The request anymail's parser reads: the kept headers and the (parseable) body. The
    web request and the worker read exactly the same thing."""
    return request_rebuild(parseable_body(provider, body), headers, path=f"/webhooks/{provider}/")


def webhook_classify(provider: str, request: HttpRequest) -> list[ClassifiedEvent]:
    """The events of an authenticated request; ClassificationError when it cannot be read."""
    if sns_control_type(provider, request.body):
        return []
    return webhook_events_classify(
        provider, parse_request(provider, request.body, kept_headers(request))
    )


def webhook_receive(provider: str, request: HttpRequest) -> Received:
    """Classify (raises ClassificationError: nothing stored), store once per delivery
    (raises WebhookReplayed for a reused key with another body). The caller enqueues the
    projection of a newly stored request (``porto.mail.tasks.process_webhook_on_commit``)."""
    key = delivery_key(provider, request)
    events = webhook_classify(provider, request)
    try:
        webhook = inbound_webhook_insert(provider, kept_headers(request), request.body, key)
    except IntegrityError:  # the key is known: a provider's retry, or a replay
        return _already_received(InboundWebhook.objects.get(delivery_key=key), request)
    return Received(webhook=webhook, events=len(events))


def _already_received(earlier: InboundWebhook, request: HttpRequest) -> Received:
    if bytes(earlier.body) != request.body:
        logger.warning(
            "Refused a %s webhook reusing delivery key %s with another body",
            earlier.provider,
            earlier.delivery_key,
        )
        raise WebhookReplayed(
            "This delivery (signature token or message id) was already received with another "
            "body: refused as replayed."
        )
    return Received(webhook=earlier, events=0, already_received=True)


# --- Projection (in a worker), in batches ------------------------------------------------

BATCH_SIZE = 500  # stored requests per transaction
BATCH_ROUNDS = 20  # batches per call before a task hands over to a fresh one
SWEEP_GRACE = 60.0  # seconds a stored request waits for its task before the sweeper takes it


@dataclass(frozen=True)
class Projected:
    requests: int  # stored requests taken: projected, or marked failed
    recorded: int  # new events
    unlinked: list[tuple[int, DeliveryEvent]]  # (webhook, event) stored before its recipient


@dataclass(frozen=True)
class Projection:
    requests: int
    recorded: int
    more: bool  # the last batch was full: more requests may be waiting


def pending_webhooks() -> QuerySet[InboundWebhook]:
    return InboundWebhook.objects.filter(processed_at__isnull=True)


def webhooks_waiting_before(
    webhook_id: int, *, now: datetime.datetime | None = None, grace: float = SWEEP_GRACE
) -> bool:
    """Does a request stored before ``webhook_id`` (and not yet the sweeper's) still wait for
    its projection? Then the task that projects it takes this one too: it claims again after
    every batch until none is left, and this one was committed before it looked."""
    due = (now or timezone.now()) - datetime.timedelta(seconds=grace)
    return inbound_webhook_waiting_before(webhook_id, due)


def webhooks_project(
    pending: QuerySet[InboundWebhook] | None = None,
    *,
    size: int = BATCH_SIZE,
    rounds: int = BATCH_ROUNDS,
) -> Projection:
    """Project ``pending`` (every stored request not yet projected) batch after batch, until
    a claim finds nothing (or after ``rounds`` batches). It claims again even after a short
    batch: a request committed while that batch ran skipped its own wake-up because the
    batch's rows were still waiting (``webhooks_waiting_before``)."""
    pending = pending_webhooks() if pending is None else pending
    requests = recorded = 0
    for _ in range(rounds):
        batch = webhooks_batch_project(pending, size)
        requests, recorded = requests + batch.requests, recorded + batch.recorded
        if batch.requests == 0:
            return Projection(requests, recorded, more=False)
    return Projection(requests, recorded, more=True)


def webhooks_batch_project(pending: QuerySet[InboundWebhook], size: int) -> Projected:
    """One transaction: take up to ``size`` of ``pending`` (rows another worker holds are
    skipped: ``SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time), record all their
    events at once (``events_record``) and mark each row processed.

    When the batch fails (a row the database refuses, a bug), it is rolled back and each row
    is projected alone, in its own savepoint: the others are recorded, the bad one is marked
    failed with the error (``processed_at``, ``error``) and its raw request stays stored, to
    be projected again with ``webhooks_retry`` once the cause is fixed. Nothing is dropped."""
    with transaction.atomic():
        rows = list(pending.select_for_update(skip_locked=True).order_by("pk")[:size])
        if not rows:
            return Projected(0, 0, [])
        try:
            with transaction.atomic():
                projected = _rows_project(rows, events_record)
        except Exception:
            logger.warning("A batch of %s webhooks failed: one by one", len(rows), exc_info=True)
            projected = _rows_project_alone(rows)
    for webhook_id, stored in projected.unlinked:  # after our commit: see _link_if_committed...
        run_guarded(
            f"webhook {webhook_id}",
            partial(_link_if_committed_meanwhile, stored),
            partial(webhook_mark_failed, webhook_id),
        )
    return projected


def webhook_process(webhook_id: int) -> int:
    """Record the events of one stored request; how many were new. Safe to run twice (every
    event is deduplicated) and never raises for a bad request: it is marked failed."""
    with log_context(webhook_id=webhook_id):
        return webhooks_batch_project(InboundWebhook.objects.filter(pk=webhook_id), 1).recorded


def webhook_mark_failed(webhook_id: int, reason: str) -> None:
    InboundWebhook.objects.filter(pk=webhook_id).update(processed_at=timezone.now(), error=reason)


def webhooks_retry(webhook_ids: list[int]) -> int:
    """Put requests marked failed back in the queue (once the cause is fixed): the next task
    or sweeper round projects them again. How many were put back."""
    return (
        InboundWebhook.objects.filter(pk__in=webhook_ids)
        .exclude(error="")
        .update(processed_at=None, error="")
    )


Record = Callable[[Sequence[ClassifiedEvent]], list[DeliveryEvent | None]]


def _rows_project(rows: list[InboundWebhook], record: Record) -> Projected:
    readable: list[tuple[InboundWebhook, list[ClassifiedEvent]]] = []
    for row in rows:
        try:
            readable.append((row, _row_events(row)))
        except (ClassificationError, WebhookAuthError, requests.RequestException) as error:
            logger.warning("Webhook %s could not be processed: %s", row.pk, error)
            webhook_mark_failed(row.pk, str(error))
    stored = record([item for _, items in readable for item in items])
    recorded_of: dict[int, int] = {}
    unlinked: list[tuple[int, DeliveryEvent]] = []
    position = 0
    for row, items in readable:
        own = [event for event in stored[position : position + len(items)] if event is not None]
        position += len(items)
        recorded_of[row.pk] = len(own)
        unlinked += [(row.pk, event) for event in own if event.recipient_id is None]
    _mark_processed(recorded_of)
    return Projected(len(rows), sum(recorded_of.values()), unlinked)


def _rows_project_alone(rows: list[InboundWebhook]) -> Projected:
    """Each row in its own savepoint, its events recorded one by one (``record_event``
    tolerates an event stored meanwhile by someone else)."""
    recorded = 0
    unlinked: list[tuple[int, DeliveryEvent]] = []
    for row in rows:
        with log_context(webhook_id=row.pk):  # its failure's log lines name it
            projected = run_guarded(
                f"webhook {row.pk}",
                partial(_rows_project, [row], _record_one_by_one),
                partial(webhook_mark_failed, row.pk),
            )
        if projected is not None:
            recorded += projected.recorded
            unlinked += projected.unlinked
    return Projected(len(rows), recorded, unlinked)


def _record_one_by_one(items: Sequence[ClassifiedEvent]) -> list[DeliveryEvent | None]:
    return [classified_record(item) for item in items]


def _mark_processed(recorded_of: dict[int, int]) -> None:
    """One UPDATE per distinct count of recorded events (usually one for the whole batch)."""
    now = timezone.now()
    ids_of: dict[int, list[int]] = defaultdict(list)
    for webhook_id, recorded in recorded_of.items():
        ids_of[recorded].append(webhook_id)
    for recorded, ids in ids_of.items():
        InboundWebhook.objects.filter(pk__in=ids).update(
            processed_at=now, events_recorded=recorded, error=""
        )


def _row_events(webhook: InboundWebhook) -> list[ClassifiedEvent]:
    """The events of a stored request; an SNS subscription is confirmed instead."""
    body = bytes(webhook.body)
    control = sns_control_type(webhook.provider, body)
    if control == "SubscriptionConfirmation":
        sns_subscription_confirm(json.loads(body))
    if control:
        return []
    request = parse_request(webhook.provider, body, webhook.headers)
    return webhook_events_classify(webhook.provider, request)


def classified_record(item: ClassifiedEvent) -> DeliveryEvent | None:
    """Record one classified provider event: the stored event; None for a duplicate."""
    return record_event(
        source=item.source,
        event=item.event,
        message_id=item.message_id,
        recipient=item.recipient,
        provider_event_id=item.provider_event_id,
        payload=item.payload,
    )


def _link_if_committed_meanwhile(stored: DeliveryEvent) -> None:
    """An event stored unlinked while the outbox was committing the provider's message id:
    the outbox links unlinked events after its commit, and this looks again after ours, so
    one of the two sees the other."""
    target = recipient_for(stored.message_id, stored.recipient_address)
    if target is not None:
        events_link_unlinked([target])


# --- Amazon SNS subscriptions -------------------------------------------------------------


def sns_subscribe_url_fetch(url: str) -> None:
    """Visit the SubscribeURL (the confirmation): the one network call, replaced in tests."""
    response = requests.get(url, timeout=10, allow_redirects=False)
    response.raise_for_status()


SnsConfirm = Callable[[str], None]
sns_confirm: SnsConfirm = sns_subscribe_url_fetch


def sns_subscription_confirm(message: dict) -> None:
    """Confirm a verified SubscriptionConfirmation (its topic is in PORTO_SNS_TOPIC_ARNS)."""
    url = str(message.get("SubscribeURL", ""))
    region = str(message.get("TopicArn", "")).split(":")[3:4]
    parts = urlsplit(url)
    host = SNS_CERT_HOST.fullmatch(parts.hostname or "")
    if parts.scheme != "https" or host is None or [host.group(1)] != region:
        raise WebhookAuthError(
            f"The SNS SubscribeURL {url!r} is not an https URL on the topic's SNS host: "
            "not confirmed."
        )
    sns_confirm(url)
    logger.info("Confirmed the Amazon SNS subscription to %s", message.get("TopicArn"))


def webhooks_sweep(
    now: datetime.datetime | None = None, *, grace: float = SWEEP_GRACE, limit: int = 5000
) -> int:
    """Project stored requests whose task never ran (enqueue failed, worker killed), in
    batches; how many were taken. Processing twice is harmless: every event is deduplicated."""
    due = (now or timezone.now()) - datetime.timedelta(seconds=grace)
    overdue = pending_webhooks().filter(received_at__lt=due)
    return webhooks_project(overdue, rounds=max(1, -(-limit // BATCH_SIZE))).requests

"""Provider webhooks: receive (authenticate, classify, store raw) and project.

The web request does no more than prove the sender, check that the body can be read (pure
parsing, no database) and store the raw request in one INSERT; ``webhook_process`` (a task)
parses the stored request again and records each event through ``record_event``.

One row per distinct delivery: each row carries its ``delivery_key`` (unique; see
``webhook_gate.delivery_key``). A request whose key is already stored with the identical body
is a provider's retry: answered 200, not stored again. The same key with another body is a
replay of a captured signature with other data: refused (403), nothing stored.
"""

import datetime
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import requests
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from porto.lib.logcontext import log_context
from porto.mail.events import events_link_unlinked, recipient_for, record_event
from porto.mail.feedback.classify import (
    ClassificationError,
    ClassifiedEvent,
    request_rebuild,
    webhook_events_classify,
)
from porto.mail.feedback.webhook_body import parseable_body
from porto.mail.feedback.webhook_gate import delivery_key
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
    earlier = InboundWebhook.objects.filter(delivery_key=key).first()
    if earlier is not None:
        return _already_received(earlier, request)
    events = webhook_classify(provider, request)
    try:
        with transaction.atomic():
            webhook = InboundWebhook.objects.create(
                provider=provider,
                headers=kept_headers(request),
                body=request.body,
                delivery_key=key,
            )
    except IntegrityError:  # the same delivery, stored meanwhile by a concurrent request
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


# --- Projection (in a worker) -------------------------------------------------------------


@dataclass(frozen=True)
class Projected:
    recorded: int  # new events
    unlinked: list[DeliveryEvent]  # stored before their recipient could be found


def webhook_process(webhook_id: int) -> int:
    """Record the events of a stored request; how many were new. Safe to run twice.

    Never raises: a request whose projection fails (poison input, a bug) is rolled back and
    marked processed with the error, so it is neither retried forever nor stops the caller."""
    with log_context(webhook_id=webhook_id):
        return _process(webhook_id)


def _process(webhook_id: int) -> int:
    projected = run_guarded(
        f"webhook {webhook_id}",
        partial(_project, webhook_id),
        partial(webhook_mark_failed, webhook_id),
    )
    if projected is None:
        return 0
    for stored in projected.unlinked:  # after our commit: see _link_if_committed_meanwhile
        run_guarded(
            f"webhook {webhook_id}",
            partial(_link_if_committed_meanwhile, stored),
            partial(webhook_mark_failed, webhook_id),
        )
    return projected.recorded


def webhook_mark_failed(webhook_id: int, reason: str) -> None:
    InboundWebhook.objects.filter(pk=webhook_id).update(processed_at=timezone.now(), error=reason)


def _project(webhook_id: int) -> Projected:
    webhook = InboundWebhook.objects.get(pk=webhook_id)
    body = bytes(webhook.body)
    stored: list[DeliveryEvent] = []
    try:
        control = sns_control_type(webhook.provider, body)
        if control == "SubscriptionConfirmation":
            sns_subscription_confirm(json.loads(body))
            items = []
        else:
            items = [] if control else _classified(webhook, body)
        stored = [event for item in items if (event := classified_record(item)) is not None]
    except (ClassificationError, WebhookAuthError, requests.RequestException) as error:
        logger.warning("Webhook %s could not be processed: %s", webhook.pk, error)
        webhook_mark_failed(webhook.pk, str(error))
        return Projected(recorded=len(stored), unlinked=[])
    InboundWebhook.objects.filter(pk=webhook.pk).update(
        processed_at=timezone.now(), events_recorded=len(stored), error=""
    )
    return Projected(recorded=len(stored), unlinked=[e for e in stored if e.recipient_id is None])


def _classified(webhook: InboundWebhook, body: bytes) -> list[ClassifiedEvent]:
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
    now: datetime.datetime | None = None, *, grace: float = 60, limit: int = 500
) -> int:
    """Project stored requests whose task never ran (enqueue failed, worker killed).
    Processing twice is harmless: every event is deduplicated."""
    due = (now or timezone.now()) - datetime.timedelta(seconds=grace)
    ids = list(
        InboundWebhook.objects.filter(processed_at__isnull=True, received_at__lt=due)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for webhook_id in ids:
        webhook_process(webhook_id)
    return len(ids)

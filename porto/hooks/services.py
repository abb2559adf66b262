"""Writes of the outbound webhooks: endpoints, the messages their events become, and the
delivery of one message with its retries. Services never enqueue: they return the message ids
to deliver (``porto.hooks.tasks`` wakes them on commit)."""

import datetime
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.documents.models import Document
from porto.hooks import events, transport
from porto.hooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage, message_id_new
from porto.hooks.signing import secret_new, signed_headers
from porto.hooks.ssrf import UnsafeURL, target_checked
from porto.mail.models import OutgoingEmail, Recipient

# Seconds to wait after each failed attempt; one more failure after the last gives up. About
# a day in all (23.7 hours), like the retries of Standard Webhooks senders.
RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)
JITTER = 0.1  # each delay is moved by up to ±10 %, so failed endpoints are not hit in step
LEASE = datetime.timedelta(seconds=60)  # longer than one attempt (connect + read timeouts)
# A task wakes each message when it is due; the sweeper wakes those overdue by this much
# (their task was lost), so that it does not wake twice what a worker is about to take.
SWEEP_GRACE = datetime.timedelta(seconds=60)
OLD_SECRET_SIGNS_FOR = datetime.timedelta(hours=24)


# --- Endpoints ------------------------------------------------------------------------------


def endpoint_create(
    company: Company, *, url: str, description: str, event_types: Sequence[str]
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(company=company, secret=secret_new())
    return _endpoint_save(endpoint, url=url, description=description, event_types=event_types)


def endpoint_update(
    endpoint: WebhookEndpoint, *, url: str, description: str, event_types: Sequence[str]
) -> WebhookEndpoint:
    return _endpoint_save(endpoint, url=url, description=description, event_types=event_types)


def _endpoint_save(
    endpoint: WebhookEndpoint, *, url: str, description: str, event_types: Sequence[str]
) -> WebhookEndpoint:
    problems = endpoint_problems(url, event_types)
    if problems:
        raise ValidationError(problems)
    endpoint.url = url.strip()
    endpoint.description = description.strip()
    endpoint.event_types = [t for t in events.EVENT_TYPES if t in event_types]
    with transaction.atomic():
        endpoint.save()
    return endpoint


def endpoint_problems(url: str, event_types: Sequence[str]) -> dict[str, str]:
    """Each problem under its field, worded so that the person knows what to change."""
    problems = {}
    try:
        target_checked(url)
    except UnsafeURL as error:
        problems["url"] = str(error)
    unknown = sorted(set(event_types) - set(events.EVENT_TYPES))
    if unknown:
        problems["event_types"] = _("Unknown event type: %(types)s.") % {
            "types": ", ".join(unknown)
        }
    elif not event_types:
        problems["event_types"] = _("Choose at least one event to send to this endpoint.")
    return problems


def endpoint_enable(endpoint: WebhookEndpoint, enabled: bool) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=enabled)
    endpoint.enabled = enabled


def endpoint_delete(endpoint: WebhookEndpoint) -> None:
    endpoint.delete()  # its messages and their attempt log go with it


def endpoint_secret_rotate(endpoint: WebhookEndpoint, now: datetime.datetime | None = None) -> str:
    """A new secret, signing from the next attempt on (retries of older messages too); the
    old one signs beside it for ``OLD_SECRET_SIGNS_FOR``."""
    now = now or timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + OLD_SECRET_SIGNS_FOR
    endpoint.secret = secret_new()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return endpoint.secret


def ping_send(endpoint: WebhookEndpoint, now: datetime.datetime | None = None) -> int:
    """A test event for this one endpoint, enabled or not; tried once, never retried."""
    now = now or timezone.now()
    message_id = message_id_new()
    event = events.ping_event(endpoint.company_id, now, nonce=message_id)
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        message_id=message_id,
        event_type=event.type,
        dedupe_key=event.dedupe_key,
        body=events.body_of(event.type, event.data, now),
        next_attempt_at=now,
        created_at=now,
    )
    return message.pk


# --- Events become messages (called inside the writer's transaction) -------------------------


def messages_emit_for_email(
    email: OutgoingEmail, recipients: Iterable[Recipient], status: str
) -> list[int]:
    endpoints = endpoints_listening(email.company_id)
    if not endpoints:
        return []
    language = Company.objects.values_list("default_language", flat=True).get(pk=email.company_id)
    return _messages_create(endpoints, events.email_events(email, recipients, status, language))


def messages_emit_for_document(document: Document) -> list[int]:
    endpoints = endpoints_listening(document.company_id)
    if not endpoints:
        return []
    return _messages_create(endpoints, [events.document_finalized_event(document)])


def endpoints_listening(company_id: int) -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(company_id=company_id, enabled=True))


def _messages_create(
    endpoints: Sequence[WebhookEndpoint], emitted: Sequence[events.Event]
) -> list[int]:
    """One message per event and subscribed endpoint, unless that endpoint already has it.
    An endpoint hears only of what happened after it was made."""
    now = timezone.now()
    existing = set(
        WebhookMessage.objects.filter(
            endpoint__in=endpoints, dedupe_key__in=[e.dedupe_key for e in emitted]
        ).values_list("endpoint_id", "dedupe_key")
    )
    new = [
        WebhookMessage(
            endpoint=endpoint,
            event_type=event.type,
            dedupe_key=event.dedupe_key,
            body=events.body_of(event.type, event.data, now),
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
        for event in emitted
        if event.type in endpoint.event_types
        and event.occurred_at >= endpoint.created_at
        and (endpoint.pk, event.dedupe_key) not in existing
    ]
    return [message.pk for message in WebhookMessage.objects.bulk_create(new)]


# --- Delivery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    state: str  # "delivered", "retry", "failed" or "skipped" (not due, taken, or disabled)
    retry_at: datetime.datetime | None = None


def retry_delay(failures: int, rand: Callable[[], float] = random.random) -> datetime.timedelta:
    """The wait after the ``failures``-th failed attempt (1-based), with jitter."""
    base = RETRY_DELAYS[failures - 1]
    return datetime.timedelta(seconds=base * (1 - JITTER + 2 * JITTER * rand()))


def message_deliver(message_id: int, now: datetime.datetime | None = None) -> Outcome:
    """Claim the message (a lease), POST it signed, log the attempt, then settle: delivered,
    retry at a later time, or given up after the last retry."""
    now = now or timezone.now()
    if not _claim(message_id, now):
        return Outcome("skipped")
    message = WebhookMessage.objects.select_related("endpoint").get(pk=message_id)
    if not message.endpoint.enabled and message.event_type != events.TEST:
        WebhookMessage.objects.filter(pk=message_id).update(claimed_until=None)
        return Outcome("skipped")  # kept waiting: it goes out if the endpoint is enabled again
    headers = signed_headers(
        message.endpoint.signing_secrets(now),
        message.message_id,
        int(now.timestamp()),
        message.body,
    )
    answer = transport.post(message.endpoint.url, message.body, headers)
    return _settle(message, answer, now)


def _claim(message_id: int, now: datetime.datetime) -> bool:
    return bool(
        WebhookMessage.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=message_id,
            state=WebhookMessage.State.PENDING,
            next_attempt_at__lte=now,
        ).update(claimed_until=now + LEASE)
    )


def _settle(message: WebhookMessage, answer: transport.Answer, now: datetime.datetime) -> Outcome:
    failures = message.attempts + 1
    gives_up = failures > len(RETRY_DELAYS) or message.event_type == events.TEST
    if answer.ok:
        outcome = Outcome("delivered")
    elif gives_up:
        outcome = Outcome("failed")
    else:
        outcome = Outcome("retry", now + retry_delay(failures))
    state = {"delivered": WebhookMessage.State.DELIVERED, "failed": WebhookMessage.State.FAILED}
    with transaction.atomic():
        WebhookAttempt.objects.create(
            message=message,
            attempted_at=now,
            status_code=answer.status_code,
            error=answer.error or ("" if answer.ok else WebhookAttempt.Error.HTTP_STATUS),
            detail=answer.detail,
            duration_ms=answer.duration_ms,
            next_retry_at=outcome.retry_at,
        )
        WebhookMessage.objects.filter(pk=message.pk).update(
            attempts=failures,
            state=state.get(outcome.state, WebhookMessage.State.PENDING),
            next_attempt_at=outcome.retry_at,
            claimed_until=None,
            finished_at=None if outcome.retry_at else now,
        )
    return outcome


def messages_due(
    now: datetime.datetime | None = None,
    overdue_by: datetime.timedelta = datetime.timedelta(0),
    limit: int = 1000,
) -> list[int]:
    """Messages whose attempt is due (for ``overdue_by`` at least) and that no worker holds."""
    now = now or timezone.now()
    return list(
        WebhookMessage.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            state=WebhookMessage.State.PENDING,
            next_attempt_at__lte=now - overdue_by,
            endpoint__enabled=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def retries_last_for() -> datetime.timedelta:
    return datetime.timedelta(seconds=sum(RETRY_DELAYS))

"""Delivery: claim an email with a lease, compose it, hand it to its transport and record the
answer per recipient.

The conditional UPDATE in ``claim`` is the only way to own an email; every later write checks
the lease token, so a worker that lost its lease cannot overwrite the one that took over.
"Handing off" is recorded (and committed) before the network call and the answer after it: the
only window for a duplicate is a crash between the server's 250 and that commit.

With per-recipient copies (``compose.copies_for``) each copy is one such hand-off with its own
attempt row and answer, recorded before the next copy starts: a crash between copies never
sends an accepted copy again. An unexpected exception (not a ``TransportError``) is tried
PORTO_MAIL_UNEXPECTED_ATTEMPTS times, then fails the email with a plain reason.

Delivery never enqueues: it says what should happen next ("retry", the ids ``outbox_due``
found) and its caller, ``porto.mail.tasks``, wakes the workers.
"""

import datetime
import logging
import secrets
from collections import Counter
from dataclasses import asdict
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from porto.documents.services import document_mark_sent
from porto.mail import sources
from porto.mail.attachments import store_attachments
from porto.mail.compose import Copy, copies_for
from porto.mail.events import events_link_unlinked, record_event
from porto.mail.message_ids import message_id_normalise
from porto.mail.models import DeliveryAttempt, DeliveryEvent, OutgoingEmail, Recipient
from porto.mail.reasons import reason_render, reason_stored
from porto.mail.sent_through import sent_through_fields
from porto.mail.status import Event, EventType
from porto.mail.status_store import email_status_store
from porto.mail.transports import Transports, transport_for
from porto.mail.transports.base import (
    AMBIGUOUS,
    Outbound,
    RecipientResult,
    Transport,
    TransportError,
)

logger = logging.getLogger(__name__)

State = OutgoingEmail.State


def lease_length() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PORTO_MAIL_LEASE)


def claimable(now: datetime.datetime) -> Q:
    return Q(state=State.QUEUED, next_attempt_at__lte=now) | Q(
        state=State.SENDING, lease_until__lt=now
    )


def claim(email_id: int, token: str, now: datetime.datetime) -> OutgoingEmail | None:
    claimed = OutgoingEmail.objects.filter(claimable(now), pk=email_id).update(
        state=State.SENDING,
        lease_token=token,
        lease_until=now + lease_length(),
        attempts=F("attempts") + 1,
        first_attempt_at=Coalesce("first_attempt_at", now),
    )
    if not claimed:
        return None
    return OutgoingEmail.objects.select_related("company", "document").get(pk=email_id)


def email_deliver(
    email_id: int,
    *,
    now: datetime.datetime | None = None,
    transport: Transport | None = None,
    transports: Transports | None = None,
) -> str:
    """Try to deliver one email now; what happened, in a word (for logs and task results).

    ``now`` fixes the clock (tests of retries); by default the real time is read at each step.
    """
    fixed_clock = now is not None
    now = now or timezone.now()
    token = secrets.token_hex(16)
    email = claim(email_id, token, now)
    if email is None:
        return "not-due"
    try:
        return deliver_claimed(email, token, now, fixed_clock, transport or transports)
    except Exception as error:  # a bug or poison data: a few attempts, then a plain failure
        logger.exception("Delivery of email %s failed unexpectedly", email.pk)
        return stop_unexpected(email, token, now, error)


def deliver_claimed(
    email: OutgoingEmail,
    token: str,
    now: datetime.datetime,
    fixed_clock: bool,
    transport: Transport | Transports | None,
) -> str:
    recover_written_answers(email, token, now)
    close_interrupted_attempts(email, now)
    if email.files_pending and not attach_document_files(email, token, now):
        return "failed"
    pending = list(email.recipients.filter(accepted_at__isnull=True, failed_at__isnull=True))
    if not pending:
        return settle(email, token, now)
    chosen = transport_of(email, transport)
    try:
        copies = copies_for(email, pending, envelope_apart=chosen.envelope_apart)
    except (ValueError, TypeError) as error:  # stored data no message can carry: not retried
        logger.exception("Email %s cannot be composed", email.pk)
        return fail_all(email, token, now, reason_stored("build_failed", reason=str(error)))
    answered_at = now
    through = sent_through_fields(email)  # once per email, whatever the number of copies
    for copy in copies:
        if not lease_renew(email, token, answered_at):
            return "lease-lost"  # another worker took the email over
        attempt = begin_hand_off(email, token, answered_at, through)
        answered_at = hand_off_copy(chosen, email, copy, attempt, answered_at, fixed_clock)
    return settle(email, token, answered_at)


def hand_off_copy(
    transport: Transport,
    email: OutgoingEmail,
    copy: Copy,
    attempt: DeliveryAttempt,
    now: datetime.datetime,
    fixed_clock: bool,
) -> datetime.datetime:
    """Hand one copy off and record its answer at once (so a crash before the next copy never
    sends this one again); the time of the answer."""
    results = hand_off(transport, email, copy.message, copy.recipients, attempt)
    answered_at = now if fixed_clock else timezone.now()
    record_answer(email, attempt, copy.recipients, results, answered_at)
    return answered_at


def lease_renew(email: OutgoingEmail, token: str, now: datetime.datetime) -> bool:
    """Still ours? Then hold it a full lease longer (many copies take time)."""
    return bool(
        OutgoingEmail.objects.filter(pk=email.pk, lease_token=token).update(
            lease_until=now + lease_length()
        )
    )


def transport_of(email: OutgoingEmail, given: Transport | Transports | None) -> Transport:
    if isinstance(given, Transports):
        return given.for_email(email)
    return given or transport_for(email)


def write_answer(attempt: DeliveryAttempt, results: dict[str, RecipientResult]) -> None:
    """One small write, right after the receiving side answered and before anything else."""
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        answer={address: asdict(result) for address, result in results.items()}
    )


def recover_written_answers(email: OutgoingEmail, token: str, now: datetime.datetime) -> None:
    """A worker that died after writing the answer down but before recording it: record it
    now instead of handing the email off again."""
    for attempt in DeliveryAttempt.objects.filter(
        email=email, outcome=DeliveryAttempt.Outcome.HANDING_OFF, answer__isnull=False
    ):
        answer = attempt.answer or {}
        results = {address: RecipientResult(**value) for address, value in answer.items()}
        pending = list(email.recipients.filter(address__in=results))
        with transaction.atomic():
            record_results(email, attempt, pending, results, now)
            DeliveryAttempt.objects.filter(pk=attempt.pk).update(
                outcome=DeliveryAttempt.Outcome.RECOVERED, finished_at=now, detail=summary(results)
            )
        if any(r.provider_message_id for r in results.values()):
            events_link_unlinked(list(email.recipients.select_related("email")))


def close_interrupted_attempts(email: OutgoingEmail, now: datetime.datetime) -> int:
    """Attempts a crashed worker left open: the server may or may not have accepted them."""
    return DeliveryAttempt.objects.filter(
        email=email, outcome=DeliveryAttempt.Outcome.HANDING_OFF
    ).update(
        outcome=DeliveryAttempt.Outcome.INTERRUPTED,
        finished_at=now,
        detail=_(
            "The worker stopped during the hand-off; the email is handed off again (the "
            "receiving server may get it twice, with the same Message-ID)."
        ),
    )


def attach_document_files(email: OutgoingEmail, token: str, now: datetime.datetime) -> bool:
    """Bulk sends attach the document's stored files on the first claim, once."""
    try:
        files = list(sources.document_files(email.document, email.file_format))
    except ValidationError as error:
        reason = reason_stored("document_files_failed", reason=" ".join(error.messages))
        fail_all(email, token, now, reason, code="document")
        return False
    with transaction.atomic():
        if not OutgoingEmail.objects.filter(pk=email.pk, lease_token=token).exists():
            return False
        email.attachments.all().delete()
        store_attachments(email, [(f, True) for f in files])
        OutgoingEmail.objects.filter(pk=email.pk).update(files_pending=False)
    email.files_pending = False
    return True


def begin_hand_off(
    email: OutgoingEmail, token: str, now: datetime.datetime, through: dict[str, str]
) -> DeliveryAttempt:
    """The attempt, written before the network call, and the way the email goes."""
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            email=email, number=email.attempts, lease_token=token, started_at=now
        )
        OutgoingEmail.objects.filter(pk=email.pk, lease_token=token).update(
            handed_off_at=Coalesce("handed_off_at", now), **through
        )
        email_status_store(email.pk)  # the hand-off starts the In transit window
    return attempt


def outbound_for(
    email: OutgoingEmail, message, pending: list[Recipient], attempt: DeliveryAttempt
) -> Outbound:
    return Outbound(
        message=message,
        sender=email.from_address,
        recipients=[r.address for r in pending],
        public_id=email.public_id.hex,
        recipient_ids={r.address: r.pk for r in pending},
        company_id=email.company_id,
        track_opens=email.track_opens,
        on_answer=partial(write_answer, attempt),
    )


def hand_off(
    transport: Transport,
    email: OutgoingEmail,
    message,
    pending: list[Recipient],
    attempt: DeliveryAttempt,
) -> dict[str, RecipientResult] | TransportError:
    try:
        return transport.send(outbound_for(email, message, pending, attempt))
    except TransportError as error:
        return error
    except Exception as error:  # a bug or an unforeseen library error
        logger.exception("Transport %s failed for email %s", email.transport, email.pk)
        return unexpected_error(pending, error)


def record_answer(
    email: OutgoingEmail,
    attempt: DeliveryAttempt,
    pending: list[Recipient],
    results: dict[str, RecipientResult] | TransportError,
    now: datetime.datetime,
) -> None:
    with transaction.atomic():
        record_results(email, attempt, pending, results, now)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            outcome=DeliveryAttempt.Outcome.ANSWERED, finished_at=now, detail=summary(results)
        )
    if any(r.provider_message_id for r in _values(results)):
        events_link_unlinked(list(email.recipients.select_related("email")))


def record_results(
    email: OutgoingEmail,
    attempt: DeliveryAttempt,
    pending: list[Recipient],
    results: dict[str, RecipientResult] | TransportError,
    now: datetime.datetime,
) -> None:
    for recipient in pending:
        result = result_for(results, recipient)
        if result.provider_message_id:
            Recipient.objects.filter(pk=recipient.pk).update(
                provider_message_id=message_id_normalise(result.provider_message_id)
            )
        record_result(email, attempt, recipient, result, now)


def _values(results) -> list[RecipientResult]:
    return [] if isinstance(results, TransportError) else list(results.values())


def result_for(results, recipient: Recipient) -> RecipientResult:
    if isinstance(results, TransportError):
        return RecipientResult(
            accepted=False, permanent=results.permanent, code=results.code, reason=results.message
        )
    return results.get(recipient.address) or RecipientResult(
        accepted=False,
        permanent=False,
        reason=reason_stored("no_answer_for_address"),
    )


def record_result(
    email: OutgoingEmail,
    attempt: DeliveryAttempt,
    recipient: Recipient,
    result: RecipientResult,
    now: datetime.datetime,
) -> None:
    if result.accepted:
        kind = EventType.SENT
    elif result.permanent:
        kind = EventType.REJECTED
    else:
        kind = EventType.DEFERRED
    record_event(
        source=email.transport,
        event=Event(
            type=kind, at=now, permanent=result.permanent, reason=result.reason, code=result.code
        ),
        message_id=email.message_id,
        recipient=recipient.address,
        provider_event_id=f"{email.public_id.hex}:{attempt.number}:{recipient.pk}:{kind}",
        payload={"attempt": attempt.number, "code": result.code},
    )


def summary(results) -> str:
    """The attempt's log line (``DeliveryAttempt.detail``), in the worker's language."""
    if isinstance(results, TransportError):
        return reason_render(results.message)
    return "; ".join(
        f"{address}: {'accepted' if r.accepted else reason_render(r.reason)}"
        for address, r in results.items()
    )


def retry_delay(attempts: int) -> datetime.timedelta:
    seconds = settings.PORTO_MAIL_RETRY_FIRST_DELAY * 2 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, settings.PORTO_MAIL_RETRY_MAX_DELAY))


def settle(email: OutgoingEmail, token: str, now: datetime.datetime) -> str:
    """Decide the email's state from its recipients' facts: final, or wait for a retry."""
    recipients = list(Recipient.objects.filter(email=email))
    waiting = [r for r in recipients if not r.is_settled]
    unsure = ambiguous_retries_spent(waiting)
    if unsure:
        record_maybe_arrived(email, unsure, now)
        recipients = list(Recipient.objects.filter(email=email))
        waiting = [r for r in recipients if not r.is_settled]
    if waiting and give_up(email, now):
        last = waiting[0].last_deferral_reason or email.last_error
        fail_recipients(email, waiting, now, gave_up_reason(email, last))
        recipients = list(Recipient.objects.filter(email=email))
        waiting = []
    if waiting:
        delay = ambiguous_retry_delay() if ambiguous_hand_offs(waiting) else None
        return schedule_retry(email, token, now, waiting[0].last_deferral_reason, delay)
    return finish(email, token, now, recipients)


def give_up(email: OutgoingEmail, now: datetime.datetime) -> bool:
    started = email.first_attempt_at or now
    retry_for = datetime.timedelta(seconds=settings.PORTO_MAIL_RETRY_FOR)
    return now + retry_delay(email.attempts) > started + retry_for


def gave_up_reason(email: OutgoingEmail, last: object) -> dict:
    return reason_stored(
        "gave_up", attempts=email.attempts, reason=last or reason_stored("no_answer")
    )


def schedule_retry(
    email: OutgoingEmail,
    token: str,
    now: datetime.datetime,
    reason: object,
    delay: datetime.timedelta | None = None,
) -> str:
    """Queue the email again at its next attempt time. Waking it then is the caller's part
    (``porto.mail.tasks`` plans a deferred wake-up; otherwise the sweeper wakes it when due)."""
    OutgoingEmail.objects.filter(pk=email.pk, lease_token=token).update(
        state=State.QUEUED,
        next_attempt_at=now + (delay if delay is not None else retry_delay(email.attempts)),
        lease_token="",
        lease_until=None,
        last_error=reason,
    )
    return "retry"


# Ambiguous hand-offs: the whole message went out but the server's answer never came, so it
# may have arrived. Such recipients are sent again at most PORTO_MAIL_AMBIGUOUS_RETRIES times,
# after PORTO_MAIL_AMBIGUOUS_RETRY_DELAY; then they stay "may have arrived": accepted as far as
# Porto can tell, with that reason (never Failed: the client may well have the invoice).


def ambiguous_hand_offs(recipients: list[Recipient]) -> Counter[int]:
    """How many hand-offs of each recipient ended without the server's answer."""
    return Counter(
        DeliveryEvent.objects.filter(recipient__in=recipients, code=AMBIGUOUS).values_list(
            "recipient_id", flat=True
        )
    )


def ambiguous_retries_spent(waiting: list[Recipient]) -> list[Recipient]:
    if not waiting:
        return []
    counts = ambiguous_hand_offs(waiting)
    allowed = settings.PORTO_MAIL_AMBIGUOUS_RETRIES
    return [r for r in waiting if counts[r.pk] > allowed]


def ambiguous_retry_delay() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PORTO_MAIL_AMBIGUOUS_RETRY_DELAY)


def record_maybe_arrived(
    email: OutgoingEmail, recipients: list[Recipient], now: datetime.datetime
) -> None:
    """Stop sending to these recipients: the message may be with them already."""
    for recipient in recipients:
        record_event(
            source=email.transport,
            event=Event(
                type=EventType.SENT,
                at=now,
                code=AMBIGUOUS,
                reason=recipient.last_deferral_reason,
            ),
            message_id=email.message_id,
            recipient=recipient.address,
            provider_event_id=f"{email.public_id.hex}:maybe-arrived:{recipient.pk}",
        )


def retry_wake_plan(email_id: int) -> datetime.datetime | None:
    """A queued retry's time, now counted as woken at that time: the caller plans a wake-up
    for it, and the sweeper steps in only if that wake-up gets lost. None if nothing waits."""
    when = (
        OutgoingEmail.objects.filter(pk=email_id, state=State.QUEUED)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if when is None:
        return None
    OutgoingEmail.objects.filter(pk=email_id, state=State.QUEUED, next_attempt_at=when).update(
        woken_at=when
    )
    return when


def finish(
    email: OutgoingEmail, token: str, now: datetime.datetime, recipients: list[Recipient]
) -> str:
    accepted = any(r.accepted_at is not None for r in recipients)
    failures = [
        reason_stored("address_failed", address=r.address, reason=r.failure_reason)
        for r in recipients
        if r.failed_at
    ]
    updated = OutgoingEmail.objects.filter(pk=email.pk, lease_token=token).update(
        state=State.SENT if accepted else State.FAILED,
        finished_at=now,
        lease_token="",
        lease_until=None,
        last_error=failures,
    )
    if updated and accepted:
        document_mark_sent(email.document)
    return "sent" if accepted else "failed"


def fail_recipients(
    email: OutgoingEmail, recipients: list[Recipient], now: datetime.datetime, reason: object
) -> None:
    for recipient in recipients:
        record_event(
            source=email.transport,
            event=Event(type=EventType.FAILED, at=now, permanent=True, reason=reason),
            message_id=email.message_id,
            recipient=recipient.address,
            provider_event_id=f"{email.public_id.hex}:gave-up:{recipient.pk}",
        )


def fail_all(
    email: OutgoingEmail, token: str, now: datetime.datetime, reason: object, code: str = ""
) -> str:
    with transaction.atomic():
        waiting = list(email.recipients.filter(accepted_at__isnull=True, failed_at__isnull=True))
        fail_recipients(email, waiting, now, reason)
        return finish(email, token, now, list(email.recipients.all()))


# Unexpected errors: a bug or poison data is tried a few times, then fails with a plain reason
# (never 24 h of silent retries). Each such attempt leaves a deferral coded UNEXPECTED.

UNEXPECTED = "unexpected"


def unexpected_error(pending: list[Recipient], error: Exception) -> TransportError:
    failures = unexpected_failures(pending) + 1
    final = failures >= settings.PORTO_MAIL_UNEXPECTED_ATTEMPTS
    return TransportError(
        unexpected_reason(error, failures, final), permanent=final, code=UNEXPECTED
    )


def unexpected_failures(pending: list[Recipient]) -> int:
    """How many earlier hand-offs of these recipients ended in an unexpected error."""
    per_recipient = Counter(
        DeliveryEvent.objects.filter(recipient__in=pending, code=UNEXPECTED).values_list(
            "recipient_id", flat=True
        )
    )
    return max(per_recipient.values(), default=0)


def unexpected_reason(error: Exception, failures: int, final: bool) -> dict:
    code = "unexpected_final" if final else "unexpected_retry"
    return reason_stored(code, reason=type(error).__name__, attempts=failures)


def stop_unexpected(
    email: OutgoingEmail, token: str, now: datetime.datetime, error: Exception
) -> str:
    """An exception outside the hand-off: retry later, or fail after the allowed attempts."""
    final = email.attempts >= settings.PORTO_MAIL_UNEXPECTED_ATTEMPTS
    reason = unexpected_reason(error, email.attempts, final)
    if final:
        return fail_all(email, token, now, reason, code=UNEXPECTED)
    return schedule_retry(email, token, now, reason)


def email_mark_failed(email_id: int, reason: str) -> None:
    """The last guard of the worker's loop (porto.mail.guard): keep the reason on the email,
    and stop an email that keeps failing this way."""
    OutgoingEmail.objects.filter(pk=email_id).update(
        last_error=reason_stored("worker_failed", reason=reason)
    )
    OutgoingEmail.objects.filter(
        pk=email_id,
        state=State.SENDING,
        attempts__gte=settings.PORTO_MAIL_UNEXPECTED_ATTEMPTS,
    ).update(state=State.FAILED, finished_at=timezone.now(), lease_token="", lease_until=None)


# The sweeper


def outbox_due(now: datetime.datetime | None = None, limit: int = 5000) -> list[int]:
    """Emails whose retry is due, whose lease expired (crashed worker) or whose wake-up task
    seems lost, marked as woken now; the caller wakes them (``porto.mail.tasks.outbox_sweep``)."""
    now = now or timezone.now()
    again = now - datetime.timedelta(seconds=settings.PORTO_MAIL_WAKE_AGAIN_AFTER)
    never_woken = Q(woken_at__isnull=True) | Q(woken_at__lt=again)
    due = Q(state=State.QUEUED, next_attempt_at__lte=now) & (
        never_woken | Q(woken_at__lt=F("next_attempt_at"))
    )
    expired = Q(state=State.SENDING, lease_until__lt=now) & (
        never_woken | Q(woken_at__lt=F("lease_until"))
    )
    ids = list(
        OutgoingEmail.objects.filter(due | expired)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        OutgoingEmail.objects.filter(pk__in=ids).update(woken_at=now)
    return ids

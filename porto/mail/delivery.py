"""Delivery: claim a batch of emails with a lease, compose each, hand it to its transport and
record the answers per recipient.

The conditional UPDATE in ``emails_claim`` is the only way to own an email; every later write
checks the lease token, so a worker that lost its lease cannot overwrite the one that took over.
"Handing off" is recorded (and committed) for the whole batch before the first network call;
each answer is written on its attempt the moment it arrives, before the next email: the only
window for a duplicate is a crash between the server's 250 and that write. The rest of the
bookkeeping (events, facts, statuses, attempts, states) is then written for the whole batch in
bulk statements: a crash before it costs nothing, the next claim records the written answers.

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
from dataclasses import asdict, dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from porto.documents.services import document_mark_sent
from porto.mail import sources
from porto.mail.attachments import store_attachments_bulk
from porto.mail.breaker import BatchBreakers
from porto.mail.compose import copies_for
from porto.mail.events import KnownEvent, events_link_unlinked, record_event, record_events_bulk
from porto.mail.gate import Wait, gate_batch
from porto.mail.message_ids import message_id_normalise
from porto.mail.models import Attachment, DeliveryAttempt, DeliveryEvent, OutgoingEmail, Recipient
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


# The SMTP commands of one hand-off that each may wait PORTO_MAIL_SMTP_TIMEOUT (connect, EHLO,
# STARTTLS, AUTH, MAIL, RCPT, DATA), besides the wait for the answer to the final ".".
HAND_OFF_COMMANDS = 7
LEASE_MARGIN = datetime.timedelta(seconds=10)


def hand_off_longest() -> datetime.timedelta:
    """The longest one hand-off may take: every command's timeout and the wait for the
    answer to the final "." (PORTO_MAIL_SMTP_DATA_TIMEOUT, 10 minutes by default)."""
    seconds = settings.PORTO_MAIL_SMTP_DATA_TIMEOUT
    seconds += HAND_OFF_COMMANDS * settings.PORTO_MAIL_SMTP_TIMEOUT
    return datetime.timedelta(seconds=seconds)


def lease_length() -> datetime.timedelta:
    """PORTO_MAIL_LEASE, but never shorter than one hand-off: a worker waiting for a slow
    server's answer must not be overtaken by another sending the same email again."""
    return max(
        datetime.timedelta(seconds=settings.PORTO_MAIL_LEASE), hand_off_longest() + LEASE_MARGIN
    )


def claimable(now: datetime.datetime) -> Q:
    return Q(state=State.QUEUED, next_attempt_at__lte=now) | Q(
        state=State.SENDING, lease_until__lt=now
    )


@dataclass
class Claim:
    """A batch of emails held by one worker: the lease token every write checks, the clock
    and the transport."""

    token: str
    now: datetime.datetime
    fixed_clock: bool  # tests of retries fix the clock; otherwise it is read at each step
    lease_until: datetime.datetime
    email_ids: list[int]  # the emails of the batch still held
    transport: Transport | Transports | None = None
    # Ways out that fail during the batch (porto.mail.breaker): their emails wait, untried
    # (the attempt begun for them is taken back) or tried (the session failed).
    breakers: BatchBreakers = field(default_factory=BatchBreakers)
    paused: dict[int, Wait] = field(default_factory=dict)
    untried: list[DeliveryAttempt] = field(default_factory=list)

    def clock(self) -> datetime.datetime:
        return self.now if self.fixed_clock else timezone.now()


def emails_claim(email_ids: list[int], token: str, now: datetime.datetime) -> list[OutgoingEmail]:
    """Take the due emails among ``email_ids`` in one transaction: on PostgreSQL the rows are
    locked with SKIP LOCKED (another worker's rows are passed over, not waited for); SQLite's
    IMMEDIATE transaction holds the write lock. The conditional UPDATE is the claim."""
    with transaction.atomic():
        due = OutgoingEmail.objects.filter(claimable(now), pk__in=email_ids)
        if connection.features.has_select_for_update_skip_locked:
            due = OutgoingEmail.objects.filter(
                pk__in=list(
                    due.select_for_update(skip_locked=True).order_by().values_list("pk", flat=True)
                )
            )
        claimed = claim_update(due, token, now)
    return claimed_read(email_ids, token) if claimed else []


# Fair sharing: the task's path does not claim the emails it was woken for but the next due
# ones, taken in turns across companies, so one company's bulk send cannot starve another's
# single invoice (docs/deploy.md, "Fair sharing").


def emails_claim_next(count: int, token: str, now: datetime.datetime) -> list[OutgoingEmail]:
    """Take up to ``count`` due emails, in turns across companies (``fair_next_ids``), in one
    transaction; the same lease and conditional UPDATE as ``emails_claim``. They come back in
    their turns, and are handed off in that order: a small company's invoice goes in its
    turn, at the front of its batch, not after a bulk send's 24.

    Nothing is left without a task to claim it: every wake-up enqueues one task per
    ``count`` emails it woke (``porto.mail.tasks.wake``), and a task takes fewer than
    ``count`` only when no more due emails were free at its claim: the ones it passed over
    were locked by claims that take them. Tasks are interchangeable, so a task that serves
    another wake-up's emails leaves its own emails to that wake-up's task; an email given
    back (a retry, the gate) gets a wake-up of its own, and the sweeper wakes the rest."""
    if count <= 0:
        return []
    with transaction.atomic():
        ids = fair_next_ids(count, now)
        claimed = claim_update(OutgoingEmail.objects.filter(pk__in=ids), token, now)
    if not claimed:
        return []
    turn = {pk: position for position, pk in enumerate(ids)}
    return sorted(claimed_read(ids, token), key=lambda email: turn[email.pk])  # in turns


def fair_turns(now: datetime.datetime) -> QuerySet:
    """Every claimable email with its turn: 1 for each company's longest-due email, 2 for its
    next one, and so on."""
    turn = Window(
        RowNumber(),
        partition_by=[F("company_id")],
        order_by=[F("next_attempt_at").asc(), F("pk").asc()],
    )
    due = OutgoingEmail.objects.filter(claimable(now)).order_by()
    return due.annotate(turn=turn).values("pk", "turn")


def fair_next_ids(count: int, now: datetime.datetime) -> list[int]:
    """The ids of the next ``count`` claimable emails by turn (then longest due), locked.

    One statement, so that on PostgreSQL the rows are locked in that order with SKIP LOCKED
    until ``count`` are held: a row another claim holds is passed over for the next one, and
    a row another claim took meanwhile fails the claimable check again (PostgreSQL rechecks
    the WHERE of a locked row) instead of taking a place. SQLite's IMMEDIATE transaction
    holds the write lock. ``FOR UPDATE`` may not stand beside a window function, so the
    turns are a derived table joined to the rows that are locked."""
    quote = connection.ops.quote_name
    table = quote(OutgoingEmail._meta.db_table)
    pk = quote("id")
    turns_sql, turns_params = fair_turns(now).query.sql_with_params()
    due = OutgoingEmail.objects.filter(claimable(now)).query
    where_sql, where_params = due.get_compiler(connection=connection).compile(due.where)
    lock = ""
    if connection.features.has_select_for_update_skip_locked:
        lock = f" FOR UPDATE OF {table} SKIP LOCKED"
    # Quoted names and the ORM's own SQL; every value is a parameter.
    sql = (
        f"SELECT {table}.{pk} FROM {table}"  # noqa: S608
        f" INNER JOIN ({turns_sql}) turns ON turns.{quote('pk')} = {table}.{pk}"
        f" WHERE {where_sql}"
        f" ORDER BY turns.{quote('turn')}, {table}.{quote('next_attempt_at')}, {table}.{pk}"
        f" LIMIT %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*turns_params, *where_params, count])
        return [row[0] for row in cursor.fetchall()]


def claim_update(due: QuerySet, token: str, now: datetime.datetime) -> int:
    """The claim: the due rows (locked by the caller) move to ``sending`` with the lease."""
    return due.update(
        state=State.SENDING,
        lease_token=token,
        lease_until=now + lease_length(),
        attempts=F("attempts") + 1,
        first_attempt_at=Coalesce("first_attempt_at", now),
    )


def claimed_read(email_ids: list[int], token: str) -> list[OutgoingEmail]:
    return list(
        OutgoingEmail.objects.filter(pk__in=email_ids, lease_token=token)
        .select_related("company", "document__company", "document__client")
        .order_by("pk")
    )


def claim(email_id: int, token: str, now: datetime.datetime) -> OutgoingEmail | None:
    """One email: ``emails_claim`` of a batch of one."""
    claimed = emails_claim([email_id], token, now)
    return claimed[0] if claimed else None


def email_deliver(
    email_id: int,
    *,
    now: datetime.datetime | None = None,
    transport: Transport | None = None,
    transports: Transports | None = None,
) -> str:
    """Try to deliver one email now; what happened, in a word (for logs and task results)."""
    return emails_deliver([email_id], now=now, transport=transport, transports=transports)[email_id]


def emails_deliver(
    email_ids: list[int],
    *,
    now: datetime.datetime | None = None,
    transport: Transport | None = None,
    transports: Transports | None = None,
) -> dict[int, str]:
    """Deliver a batch of emails now; per email what happened, in a word ("not-due" for the
    ones another worker holds or that are not due).

    ``now`` fixes the clock (tests of retries); by default the real time is read at each step.
    If the batch's own bookkeeping raises, each email is delivered again on its own, so one
    email with poison data never holds up the others.
    """
    fixed_clock = now is not None
    now = now or timezone.now()
    token = secrets.token_hex(16)
    emails = emails_claim(email_ids, token, now)
    outcomes = dict.fromkeys(email_ids, "not-due")
    held = Claim(token, now, fixed_clock, now + lease_length(), [], transport or transports)
    return outcomes | batch_deliver(emails, held, transport, transports)


def emails_deliver_next(
    count: int,
    *,
    now: datetime.datetime | None = None,
    transport: Transport | None = None,
    transports: Transports | None = None,
) -> dict[int, str]:
    """The worker's task: deliver up to ``count`` due emails, whichever they are, taken in
    turns across companies (``emails_claim_next``); per email claimed what happened. Otherwise
    the same as ``emails_deliver``."""
    fixed_clock = now is not None
    now = now or timezone.now()
    token = secrets.token_hex(16)
    emails = emails_claim_next(count, token, now)
    held = Claim(token, now, fixed_clock, now + lease_length(), [], transport or transports)
    return batch_deliver(emails, held, transport, transports)


def batch_deliver(
    emails: list[OutgoingEmail],
    held: Claim,
    transport: Transport | None,
    transports: Transports | None,
) -> dict[int, str]:
    """Deliver a claimed batch; if its own bookkeeping raises, each email on its own."""
    if not emails:
        return {}
    held.email_ids = [e.pk for e in emails]
    try:
        return deliver_claimed(emails, held)
    except Exception as error:  # a bug or poison data: a few attempts, then a plain failure
        if len(emails) == 1:
            logger.exception("Delivery of email %s failed unexpectedly", emails[0].pk)
            return {emails[0].pk: stop_unexpected(emails[0], held.token, held.now, error)}
        logger.exception("Delivery of a batch failed; delivering its emails one by one")
        claim_release(emails, held.token)
        return {
            e.pk: email_deliver(e.pk, transport=transport, transports=transports) for e in emails
        }


def claim_release(emails: list[OutgoingEmail], token: str) -> None:
    """Give a batch back to the outbox as it was before the claim (its emails are then
    delivered one by one); handed-off attempts stay and are recovered by the next claim."""
    OutgoingEmail.objects.filter(pk__in=[e.pk for e in emails], lease_token=token).update(
        state=State.QUEUED, lease_token="", lease_until=None, attempts=F("attempts") - 1
    )


def deliver_claimed(emails: list[OutgoingEmail], held: Claim) -> dict[int, str]:
    """Recover what a crashed worker left, attach the files, record "handing off" for the
    whole batch (committed), hand each email off, record the answers and settle the batch."""
    outcomes: dict[int, str] = {}
    recover_batch(emails, held)
    ready = attach_document_files(emails, held, outcomes)
    prefetch_related_objects(
        ready,
        "recipients",
        Prefetch("attachments", Attachment.objects.select_related("blob"), to_attr="loaded"),
    )
    gated_at = held.clock()
    sending, waits = gate_batch([email for email in ready if pending_of(email)], gated_at)
    outcomes |= emails_wait(waits, held.token, gated_at)
    attempts = begin_hand_offs(sending, held)
    hand_offs: list[HandOff] = []
    for email in sending:
        outcome = hand_off_email(email, attempts[email.pk], held, hand_offs)
        if outcome:
            outcomes[email.pk] = outcome
    record_hand_offs(hand_offs)
    outcomes |= ways_paused(held)
    settling = [email for email in ready if email.pk not in outcomes]
    return outcomes | settle_batch(settling, held)


def emails_wait(
    waits: dict[int, Wait], token: str, now: datetime.datetime | None = None
) -> dict[int, str]:
    """Give the emails the gate held back to the outbox, due when they may go, untried: the
    claim's attempt is taken back, so waiting never brings an email closer to giving up."""
    now = now or timezone.now()
    groups: dict[Wait, list[int]] = {}
    for email_id, wait in waits.items():
        groups.setdefault(wait, []).append(email_id)
    for wait, email_ids in groups.items():
        OutgoingEmail.objects.filter(pk__in=email_ids, lease_token=token).update(
            state=State.QUEUED,
            next_attempt_at=wait.until,
            woken_at=wait.until,  # the caller plans the wake-up; the sweeper if it is lost
            held=wait.why,
            lease_token="",
            lease_until=None,
            attempts=F("attempts") - (0 if wait.tried else 1),
            # A tried email (its session failed: the breaker) keeps its window until the
            # way resumes; an untried one leaves the wait out of it.
            first_attempt_at=(
                F("first_attempt_at") if wait.tried else first_attempt_after_wait(wait.until - now)
            ),
        )
    return dict.fromkeys(waits, "waiting")


def first_attempt_after_wait(wait: datetime.timedelta) -> Case:
    """PORTO_MAIL_RETRY_FOR counts from the first real attempt, waits left out: an email
    never tried has none yet (the claim set it), a retried one has it moved by the wait."""
    return Case(
        When(attempts=1, then=Value(None, output_field=DateTimeField())),
        default=F("first_attempt_at") + Value(max(wait, datetime.timedelta(0))),
        output_field=DateTimeField(),
    )


def pending_of(email: OutgoingEmail) -> list[Recipient]:
    """The addresses still without an answer (an accepted or hard-refused one is never sent
    to again)."""
    return [r for r in email.recipients.all() if r.accepted_at is None and r.failed_at is None]


@dataclass
class HandOff:
    """One copy handed off, and the answer to record for it."""

    email: OutgoingEmail
    attempt: DeliveryAttempt
    recipients: list[Recipient]
    results: dict[str, RecipientResult] | TransportError
    at: datetime.datetime


def hand_off_email(
    email: OutgoingEmail, first: DeliveryAttempt, held: Claim, hand_offs: list[HandOff]
) -> str:
    """Hand each copy of ``email`` off; "" when its answers await recording, else the outcome
    (lease lost, cannot be composed, an unexpected error)."""
    if not lease_held(held, email):
        return "lease-lost"  # another worker took the email over
    if (until := held.breakers.paused_until(email)) is not None:  # paused during the batch
        held.paused[email.pk] = Wait(until, OutgoingEmail.Held.PAUSED)
        held.untried.append(first)
        return "waiting"
    chosen = transport_of(email, held.transport)
    try:
        copies = copies_for(email, pending_of(email), envelope_apart=chosen.envelope_apart)
    except (ValueError, TypeError) as error:  # stored data no message can carry: not retried
        logger.exception("Email %s cannot be composed", email.pk)
        return fail_all(
            email, held.token, held.now, reason_stored("build_failed", reason=str(error))
        )
    except Exception as error:
        logger.exception("Delivery of email %s failed unexpectedly", email.pk)
        return stop_unexpected(email, held.token, held.now, error)
    attempt = first
    for number, copy in enumerate(copies):
        if number:  # per-recipient copies: each its own attempt, begun before its hand-off
            attempt = begin_hand_off(email, held.token, held.clock(), {})
        results = hand_off(chosen, email, copy.message, copy.recipients, attempt)
        if way_failed(email, attempt, results, held):
            return "waiting"
        hand_offs.append(HandOff(email, attempt, copy.recipients, results, held.clock()))
    return ""


def way_failed(
    email: OutgoingEmail,
    attempt: DeliveryAttempt,
    results: dict[str, RecipientResult] | TransportError,
    held: Claim,
) -> bool:
    """Tell the way's breaker how the session went. True when the way itself failed (login,
    connection, TLS): that says nothing about the recipients, so the email waits instead of
    failing; its attempt is closed with the reason, no event is recorded."""
    now = held.clock()
    if not isinstance(results, TransportError) or results.way_down is None:
        held.breakers.worked(email, now)
        return False
    until = held.breakers.failed(email, results, now)
    if until is None:  # a way without a breaker (the sandbox): recorded as usual
        return False
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        outcome=DeliveryAttempt.Outcome.ANSWERED, finished_at=now, detail=summary(results)
    )
    held.paused[email.pk] = Wait(until, OutgoingEmail.Held.PAUSED, tried=True)
    return True


def ways_paused(held: Claim) -> dict[int, str]:
    """The emails whose way failed during the batch go back to the outbox to wait; the ones
    not tried lose the attempt begun for them (nothing was sent), and their hand-off time."""
    if held.untried:
        DeliveryAttempt.objects.filter(pk__in=[a.pk for a in held.untried]).delete()
        OutgoingEmail.objects.filter(
            pk__in=[a.email_id for a in held.untried],
            lease_token=held.token,
            handed_off_at=held.untried[0].started_at,
        ).update(handed_off_at=None)
    return emails_wait(held.paused, held.token)


def lease_held(held: Claim, email: OutgoingEmail) -> bool:
    """Still ours? A lease with more left than the longest hand-off is ours without asking
    (nobody can claim an email before its lease ends); otherwise the batch's lease is renewed
    in one UPDATE, and an email found gone is left to the worker that took it over."""
    now = held.clock()
    if now < held.lease_until - hand_off_longest():
        return True
    held.lease_until = now + lease_length()
    ours = OutgoingEmail.objects.filter(pk__in=held.email_ids, lease_token=held.token)
    if ours.update(lease_until=held.lease_until) < len(held.email_ids):
        held.email_ids = list(ours.values_list("pk", flat=True))
    return email.pk in held.email_ids


def transport_of(email: OutgoingEmail, given: Transport | Transports | None) -> Transport:
    if isinstance(given, Transports):
        return given.for_email(email)
    return given or transport_for(email)


def write_answer(attempt: DeliveryAttempt, results: dict[str, RecipientResult]) -> None:
    """One small write, right after the receiving side answered and before anything else."""
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        answer={address: asdict(result) for address, result in results.items()}
    )


def recover_batch(emails: list[OutgoingEmail], held: Claim) -> None:
    """What crashed workers left open, in one read: answers already written down are recorded
    now (no resend); attempts still handing off without an answer are closed as interrupted
    (the server may or may not have accepted them)."""
    left = list(
        DeliveryAttempt.objects.filter(
            email__in=emails, outcome=DeliveryAttempt.Outcome.HANDING_OFF
        )
    )
    if not left:
        return
    by_pk = {email.pk: email for email in emails}
    for attempt in left:
        if attempt.answer is not None:
            recover_written_answer(by_pk[attempt.email_id], attempt, held.now)
    close_interrupted_attempts([a for a in left if a.answer is None], held.now)


def recover_written_answer(
    email: OutgoingEmail, attempt: DeliveryAttempt, now: datetime.datetime
) -> None:
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


def close_interrupted_attempts(attempts: list[DeliveryAttempt], now: datetime.datetime) -> int:
    if not attempts:
        return 0
    return DeliveryAttempt.objects.filter(
        pk__in=[a.pk for a in attempts], outcome=DeliveryAttempt.Outcome.HANDING_OFF
    ).update(
        outcome=DeliveryAttempt.Outcome.INTERRUPTED,
        finished_at=now,
        detail=_(
            "The worker stopped during the hand-off; the email is handed off again (the "
            "receiving server may get it twice, with the same Message-ID)."
        ),
    )


def attach_document_files(
    emails: list[OutgoingEmail], held: Claim, outcomes: dict[int, str]
) -> list[OutgoingEmail]:
    """Bulk sends attach the document's stored files on the first claim, once, for the whole
    batch in three INSERTs; an email whose file cannot be made fails with the reason. The
    emails ready to send."""
    made: dict[int, list] = {}
    for email in emails:
        if not email.files_pending:
            continue
        try:
            made[email.pk] = list(sources.document_files(email.document, email.file_format))
        except ValidationError as error:
            reason = reason_stored("document_files_failed", reason=" ".join(error.messages))
            outcomes[email.pk] = fail_all(email, held.token, held.now, reason, code="document")
    if made:
        with transaction.atomic():
            ours = set(
                OutgoingEmail.objects.filter(pk__in=list(made), lease_token=held.token)
                .select_for_update()
                .values_list("pk", flat=True)
            )
            Attachment.objects.filter(email__in=ours).delete()
            store_attachments_bulk(
                {e: [(f, True) for f in made[e.pk]] for e in emails if e.pk in ours}
            )
            OutgoingEmail.objects.filter(pk__in=ours).update(files_pending=False)
        for email in emails:
            if email.pk in made and email.pk not in ours:
                outcomes[email.pk] = "lease-lost"
    return [email for email in emails if email.pk not in outcomes]


def begin_hand_offs(emails: list[OutgoingEmail], held: Claim) -> dict[int, DeliveryAttempt]:
    """The first attempt of every email of the batch, written before any network call: one
    INSERT, and one UPDATE per way out (``sent_through``), committed together."""
    if not emails:
        return {}
    now = held.clock()
    ways: dict[tuple, list[int]] = {}
    known: dict[tuple[str, int], dict[str, str]] = {}  # the way depends on these two only
    for email in emails:
        key = (email.transport, email.company_id)
        if key not in known:
            known[key] = sent_through_fields(email)
        way = known[key]
        ways.setdefault(tuple(sorted(way.items())), []).append(email.pk)
        for name, value in way.items():
            setattr(email, name, value)
        email.handed_off_at = email.handed_off_at or now
    attempts = [
        DeliveryAttempt(email=e, number=e.attempts, lease_token=held.token, started_at=now)
        for e in emails
    ]
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(attempts)
        for way_items, email_ids in ways.items():
            OutgoingEmail.objects.filter(pk__in=email_ids, lease_token=held.token).update(
                handed_off_at=Coalesce("handed_off_at", now), held="", **dict(way_items)
            )
    return {attempt.email_id: attempt for attempt in attempts}


def begin_hand_off(
    email: OutgoingEmail, token: str, now: datetime.datetime, through: dict[str, str]
) -> DeliveryAttempt:
    """One more attempt, written before the network call (the next per-recipient copy), and
    the way the email goes (empty: already written with the first)."""
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            email=email, number=email.attempts, lease_token=token, started_at=now
        )
        if through:
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


def record_hand_offs(hand_offs: list[HandOff]) -> None:
    """The answers of a batch, recorded together: events in bulk (``record_events_bulk``),
    the attempts closed in one UPDATE. Each answer was already written on its attempt the
    moment it arrived, so a crash before this commit resends nothing."""
    if not hand_offs:
        return
    with transaction.atomic():
        provider_ids_store(hand_offs)
        record_events_bulk([known_event(h, r) for h in hand_offs for r in h.recipients])
        for h in hand_offs:
            h.attempt.outcome = DeliveryAttempt.Outcome.ANSWERED
            h.attempt.finished_at = h.at
            h.attempt.detail = summary(h.results)
        DeliveryAttempt.objects.bulk_update(
            [h.attempt for h in hand_offs], ["outcome", "finished_at", "detail"]
        )
    linked = {
        h.email.pk: h.email
        for h in hand_offs
        if any(r.provider_message_id for r in _values(h.results))
    }
    for email in linked.values():
        events_link_unlinked(list(email.recipients.select_related("email")))


def provider_ids_store(hand_offs: list[HandOff]) -> None:
    changed = []
    for h in hand_offs:
        for recipient in h.recipients:
            message_id = result_for(h.results, recipient).provider_message_id
            if message_id:
                recipient.provider_message_id = message_id_normalise(message_id)
                changed.append(recipient)
    if changed:
        Recipient.objects.bulk_update(changed, ["provider_message_id"])


def known_event(h: HandOff, recipient: Recipient) -> KnownEvent:
    recipient.email = h.email
    return KnownEvent(
        source=h.email.transport,
        event=result_event(result_for(h.results, recipient), h.at),
        recipient=recipient,
        provider_event_id=answer_event_id(
            h.email, h.attempt, recipient, result_for(h.results, recipient)
        ),
        payload={"attempt": h.attempt.number, "code": result_for(h.results, recipient).code},
    )


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


def result_event(result: RecipientResult, at: datetime.datetime) -> Event:
    if result.accepted:
        kind = EventType.SENT
    elif result.permanent:
        kind = EventType.REJECTED
    else:
        kind = EventType.DEFERRED
    return Event(
        type=kind, at=at, permanent=result.permanent, reason=result.reason, code=result.code
    )


def answer_event_id(
    email: OutgoingEmail, attempt: DeliveryAttempt, recipient: Recipient, result: RecipientResult
) -> str:
    kind = result_event(result, attempt.started_at).type
    return f"{email.public_id.hex}:{attempt.number}:{recipient.pk}:{kind}"


def record_result(
    email: OutgoingEmail,
    attempt: DeliveryAttempt,
    recipient: Recipient,
    result: RecipientResult,
    now: datetime.datetime,
) -> None:
    record_event(
        source=email.transport,
        event=result_event(result, now),
        message_id=email.message_id,
        recipient=recipient.address,
        provider_event_id=answer_event_id(email, attempt, recipient, result),
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


def settle_batch(emails: list[OutgoingEmail], held: Claim) -> dict[int, str]:
    """Settle every email of the batch from its recipients' facts, read in one query; the
    emails sent to everyone are finished in one UPDATE."""
    recipients: dict[int, list[Recipient]] = {email.pk: [] for email in emails}
    for recipient in Recipient.objects.filter(email__in=emails):
        recipients[recipient.email_id].append(recipient)
    now = held.clock()
    outcomes = {}
    plain = []
    for email in emails:
        if all(r.accepted_at is not None for r in recipients[email.pk]) and recipients[email.pk]:
            plain.append(email)
        else:
            outcomes[email.pk] = settle(email, held.token, now, recipients[email.pk])
    return outcomes | finish_sent(plain, held.token, now)


def finish_sent(emails: list[OutgoingEmail], token: str, now: datetime.datetime) -> dict[int, str]:
    """Emails every recipient accepted: sent, in one UPDATE; their documents count as sent."""
    if not emails:
        return {}
    ids = [email.pk for email in emails]
    with transaction.atomic():
        ours = list(
            OutgoingEmail.objects.filter(pk__in=ids, lease_token=token)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__in=ours).update(
            state=State.SENT, finished_at=now, lease_token="", lease_until=None, last_error=[]
        )
    for email in emails:
        if email.pk in ours:
            document_mark_sent(email.document)
    return {pk: "sent" if pk in ours else "lease-lost" for pk in ids}


def settle(
    email: OutgoingEmail,
    token: str,
    now: datetime.datetime,
    recipients: list[Recipient] | None = None,
) -> str:
    """Decide the email's state from its recipients' facts: final, or wait for a retry."""
    if recipients is None:
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


def waiting_until(email_ids: list[int]) -> dict[int, datetime.datetime]:
    """When each of these emails, held at the gate, may go (the ones still waiting)."""
    return dict(
        OutgoingEmail.objects.filter(pk__in=email_ids, state=State.QUEUED)
        .exclude(held=OutgoingEmail.Held.NO)
        .values_list("pk", "next_attempt_at")
    )

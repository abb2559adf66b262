"""The gate check of the sending limits (``porto.mail.gate``): per key, one round trip to the
store for the whole batch; the emails that get no token wait untried until their slot.

Lanes (fairness): each company's bulk sends are one lane and its single sends another, so
neither another company's bulk send nor the company's own one puts a single invoice at the
back of a long line. An email whose slot has come (held for the rate, now due) is served
before new ones. With several keys (the company's, then the server's or provider's), an email
waits at the first key that has no token for it; a token it took from an earlier key is spent
(the rate only gets stricter for it).
"""

import datetime
import logging
import math
from collections.abc import Callable

from porto.mail.gate import Wait
from porto.mail.limits.bucket import LaneAnswer, LaneAsk
from porto.mail.limits.keys import Limit, limits_of_batch
from porto.mail.limits.stores import LimitStore, StoreUnavailable, limits_store
from porto.mail.models import OutgoingEmail

logger = logging.getLogger(__name__)

RATE = OutgoingEmail.Held.RATE
STORE_RETRY = datetime.timedelta(seconds=30)  # the store could not be asked: ask again then


def limits_check(
    emails: list[OutgoingEmail],
    now: datetime.datetime,
    store: Callable[[], LimitStore] = limits_store,
) -> dict[int, Wait]:
    limits = limits_of_batch(emails)
    if not limits:
        return {}
    waits: dict[int, Wait] = {}
    for limit, members in by_key(emails, limits):
        asking = [email for email in members if email.pk not in waits]
        if asking:
            waits |= key_take(store(), limit, asking, now)
    return waits


def by_key(
    emails: list[OutgoingEmail], limits: dict[int, list[Limit]]
) -> list[tuple[Limit, list[OutgoingEmail]]]:
    """Each key with its emails, the companies' keys first, in the batch's order."""
    keyed: dict[Limit, list[OutgoingEmail]] = {}
    for tier in range(2):
        for email in emails:
            email_limits = limits.get(email.pk, [])
            if tier < len(email_limits):
                keyed.setdefault(email_limits[tier], []).append(email)
    return list(keyed.items())


def lane_of(email: OutgoingEmail) -> str:
    return f"{email.company_id}:{'bulk' if email.bulk_job_id else 'one'}"


def is_due(email: OutgoingEmail) -> bool:
    """Held for the rate and woken at its slot: it was given a place in its lane."""
    return email.held == RATE


def key_take(
    store: LimitStore, limit: Limit, emails: list[OutgoingEmail], now: datetime.datetime
) -> dict[int, Wait]:
    lanes: dict[str, tuple[list[OutgoingEmail], list[OutgoingEmail]]] = {}
    for email in emails:
        due, fresh = lanes.setdefault(lane_of(email), ([], []))
        (due if is_due(email) else fresh).append(email)
    for due, _fresh in lanes.values():
        due.sort(key=lambda e: (e.next_attempt_at, e.pk))
    asks = [LaneAsk(lane, len(due), len(fresh)) for lane, (due, fresh) in lanes.items()]
    try:
        answers = store.take(limit.key, limit.rate, asks, now.timestamp())
    except StoreUnavailable as error:
        logger.warning("Sending limit %s unavailable (%s); the emails wait", limit.key, error)
        return {email.pk: Wait(now + STORE_RETRY, RATE) for email in emails}
    waits: dict[int, Wait] = {}
    for lane, (due, fresh) in lanes.items():
        waits |= lane_waits(answers[lane], limit.rate.refill, due, fresh)
    return waits


def lane_waits(
    answer: LaneAnswer, refill: float, due: list[OutgoingEmail], fresh: list[OutgoingEmail]
) -> dict[int, Wait]:
    """The lane's emails that wait: the due ones whose turn it was try again when the bucket
    has a token; the others wait in the lane's line."""
    retrying = due[answer.granted_due : answer.granted_due + answer.retry]
    behind = due[answer.granted_due + answer.retry :] + fresh[answer.granted_fresh :]
    waits = {
        email.pk: Wait(slot_moment(answer.retry_at + number / refill), RATE)
        for number, email in enumerate(retrying)
    }
    return waits | {
        email.pk: Wait(slot_moment(answer.start + number * answer.spacing), RATE)
        for number, email in enumerate(behind)
    }


def slot_moment(seconds: float) -> datetime.datetime:
    """The slot as a datetime, rounded up to the microsecond: never a hair before it."""
    micro = math.ceil(seconds * 1_000_000)
    return datetime.datetime.fromtimestamp(micro // 1_000_000, datetime.UTC).replace(
        microsecond=micro % 1_000_000
    )

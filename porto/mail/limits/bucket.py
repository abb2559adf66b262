"""One key's bucket and its lines: the algorithm both stores run, atomically, per key.

State per key: the token bucket (``tokens``, ``updated``) and, per lane (a company's bulk
sends, or its single sends), the lane's next free slot. One ``bucket_take`` serves a whole
batch for the key:

1. The bucket refills at ``rate.refill`` up to ``rate.burst``.
2. Emails whose slot has come (``due``) take tokens first, then new emails (``fresh``) of
   lanes without a line; a new email of a lane that has a line queues behind it.
3. Every email that got no token gets a slot: a lane's slots follow its line, spaced by
   (lanes waiting on this key) / refill, so that together the lanes arrive at the rate the
   bucket refills (no stampede), and each lane gets its turn (fairness): a company's single
   invoice does not wait behind another company's 5,000 emails. New lines start at the
   moment the bucket next has a token, one refill interval apart.

The bucket is the real gate: an email goes only with a token, so at most burst + refill x w
emails go in any window of w seconds, whatever the slots say. ``porto/mail/limits/redis.lua``
is the same algorithm in Lua, operation for operation; the tests run both.
"""

import math
from dataclasses import dataclass, field

from porto.mail.limits.rates import Rate

EPSILON = 1e-6  # a token short by a rounding error is a token


@dataclass(frozen=True)
class LaneAsk:
    lane: str
    due: int  # emails whose slot has come
    fresh: int  # emails asking for the first time


@dataclass(frozen=True)
class LaneAnswer:
    granted_due: int
    granted_fresh: int
    start: float  # the first waiting email's slot (epoch seconds); the next ones follow
    spacing: float  # seconds between this lane's slots


@dataclass
class BucketState:
    tokens: float
    updated: float  # epoch seconds
    lanes: dict[str, float] = field(default_factory=dict)  # lane → its next free slot


def bucket_new(rate: Rate, now: float) -> BucketState:
    return BucketState(tokens=float(rate.burst), updated=now)


def bucket_take(
    state: BucketState, rate: Rate, asks: list[LaneAsk], now: float
) -> dict[str, LaneAnswer]:
    """Take the tokens ``asks`` need from ``state`` (changed in place); per lane, how many
    may go and the slots of the others. Each lane appears once in ``asks``."""
    tokens = min(float(rate.burst), state.tokens + max(0.0, now - state.updated) * rate.refill)
    busy = {lane for lane, slot in state.lanes.items() if slot > now}
    granted_due: dict[str, int] = {}
    for ask in asks:
        granted_due[ask.lane] = min(ask.due, math.floor(tokens + EPSILON))
        tokens -= granted_due[ask.lane]
    granted_fresh: dict[str, int] = {}
    for ask in asks:
        granted_fresh[ask.lane] = (
            0 if ask.lane in busy else min(ask.fresh, math.floor(tokens + EPSILON))
        )
        tokens -= granted_fresh[ask.lane]
    denied = {a.lane: a.due + a.fresh - granted_due[a.lane] - granted_fresh[a.lane] for a in asks}
    lines = len(busy) + sum(1 for a in asks if denied[a.lane] > 0 and a.lane not in busy)
    spacing = lines / rate.refill
    first = now + max(0.0, 1.0 - tokens) / rate.refill
    answers: dict[str, LaneAnswer] = {}
    new_lines = 0
    for ask in asks:
        start = 0.0
        if denied[ask.lane] > 0:
            if ask.lane in busy:
                start = max(state.lanes[ask.lane], first)
            else:
                start = first + new_lines / rate.refill
                new_lines += 1
            state.lanes[ask.lane] = start + denied[ask.lane] * spacing
        answers[ask.lane] = LaneAnswer(
            granted_due[ask.lane], granted_fresh[ask.lane], start, spacing
        )
    state.tokens = tokens
    state.updated = max(state.updated, now)
    state.lanes = {lane: slot for lane, slot in state.lanes.items() if slot > now}
    return answers

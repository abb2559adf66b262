"""One key's bucket and its lines: the algorithm both stores run, atomically, per key.

State per key: the token bucket (``tokens``, ``updated``) and, per lane (a company's bulk
sends, or its single sends), the lane's next free slot (``end`` of its line) and the earliest
moment its next email may go (``turn``). One ``bucket_take`` serves a whole batch:

1. The bucket refills at ``rate.refill`` up to ``rate.burst``.
2. The lanes waiting or asking share the key: each gets one email per
   (lanes) / refill seconds, its turn. Alone, a lane may use the whole rate and the burst.
3. Emails whose slot has come (``due``) take tokens first, then new emails (``fresh``) of
   lanes without a line; a new email of a lane that has a line queues behind it.
4. With other lanes waiting, an email that got no token although it was its lane's turn tries
   again at the moment the bucket next has one; every other email that must wait (also one
   that a late worker finds due together with others) is put at the end of its lane's line,
   slots spaced (lanes) / refill apart, so together the lanes arrive at the rate the bucket
   refills (no stampede) and each gets its turn (fairness): a company's single invoice does not
   wait behind another company's 5,000 emails. A lane alone before others came may hold slots
   closer together than its share: those of its emails that come before their turn go to the end
   of its line (one more claim each, about one per email of the other lanes).

The bucket is the real gate: an email goes only with a token, so at most burst + refill x w
emails go in any window of w seconds, whatever the slots say. ``porto/mail/limits/redis.lua``
is the same algorithm in Lua, operation for operation; the tests run both.
"""

import math
from dataclasses import dataclass, field

from porto.mail.limits.rates import Rate

# Slots are stored to the microsecond, rounded up, and epoch seconds in a float are exact to
# about 0.3 µs; their errors add up over a few steps: a token or a turn short by less than
# this is there (at most a hundred-thousandth of a token ahead of the rate at 1 a second).
EPSILON = 1e-5  # seconds


@dataclass(frozen=True)
class LaneAsk:
    lane: str
    due: int  # emails whose slot has come
    fresh: int  # emails asking for the first time


@dataclass(frozen=True)
class LaneAnswer:
    granted_due: int  # the first due emails go
    granted_fresh: int  # the first fresh emails go
    retry: int  # the next due emails try again at retry_at, retry_at + 1/refill, …
    retry_at: float
    start: float  # the others wait in the lane's line: start, start + spacing, …
    spacing: float


@dataclass
class BucketState:
    tokens: float
    updated: float  # epoch seconds
    lanes: dict[str, list[float]] = field(default_factory=dict)  # lane → [end, turn]


def bucket_new(rate: Rate, now: float) -> BucketState:
    return BucketState(tokens=float(rate.burst), updated=now)


def bucket_take(
    state: BucketState, rate: Rate, asks: list[LaneAsk], now: float
) -> dict[str, LaneAnswer]:
    """Take the tokens ``asks`` need from ``state`` (changed in place); per lane, how many
    may go and the slots of the others. Each lane appears once in ``asks``."""
    tokens = min(float(rate.burst), state.tokens + max(0.0, now - state.updated) * rate.refill)
    spare = EPSILON * rate.refill + 1e-9  # the tokens of EPSILON
    lanes = state.lanes
    busy = {lane for lane, (end, _turn) in lanes.items() if end > now}
    lines = len(busy | {ask.lane for ask in asks})
    share = lines / rate.refill
    granted_due: dict[str, int] = {}
    retry: dict[str, int] = {}
    for ask in asks:
        allowed = ask.due if lines == 1 else min(ask.due, 1 if turn_of(lanes, ask.lane, now) else 0)
        granted_due[ask.lane] = min(allowed, math.floor(tokens + spare))
        retry[ask.lane] = 0 if lines == 1 else allowed - granted_due[ask.lane]
        tokens -= granted_due[ask.lane]
    granted_fresh: dict[str, int] = {}
    for ask in asks:
        allowed = ask.fresh
        if ask.lane in busy:
            allowed = 0
        elif lines > 1:
            fair = turn_of(lanes, ask.lane, now) and granted_due[ask.lane] == 0
            allowed = min(ask.fresh, 1 if fair else 0)
        granted_fresh[ask.lane] = min(allowed, math.floor(tokens + spare))
        tokens -= granted_fresh[ask.lane]
    first = now + max(0.0, 1.0 - tokens) / rate.refill
    answers: dict[str, LaneAnswer] = {}
    retries = 0
    new_lines = 0
    for ask in asks:
        retry_at = first + retries / rate.refill
        retries += retry[ask.lane]
        behind = ask.due + ask.fresh - granted_due[ask.lane] - granted_fresh[ask.lane]
        behind -= retry[ask.lane]
        end, turn = lanes.get(ask.lane, [0.0, 0.0])
        start = 0.0
        if behind > 0:
            if ask.lane in busy:
                start = max(end, first)
            else:
                start = max(first + new_lines / rate.refill, turn)
                new_lines += 1
            end = start + behind * share
        if granted_due[ask.lane] + granted_fresh[ask.lane] > 0:
            turn = max(turn, now) + share
        lanes[ask.lane] = [end, turn]
        answers[ask.lane] = LaneAnswer(
            granted_due[ask.lane],
            granted_fresh[ask.lane],
            retry[ask.lane],
            retry_at,
            start,
            share,
        )
    state.tokens = tokens
    state.updated = max(state.updated, now)
    state.lanes = {lane: slots for lane, slots in lanes.items() if max(slots) > now}
    return answers


def turn_of(lanes: dict[str, list[float]], lane: str, now: float) -> bool:
    """Is it the lane's turn (its share of the key is not used up)?"""
    return lane not in lanes or lanes[lane][1] <= now + EPSILON

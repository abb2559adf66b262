"""Both stores of the sending limits give the same answers as the algorithm they run, keep
each key apart, and never hand out more tokens than the rate allows, also when many threads
(each its own connection) take from one key at the same moments."""

import os
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from porto.mail.limits.bucket import LaneAsk, bucket_new, bucket_take
from porto.mail.limits.rates import Rate, per_minute
from porto.mail.limits.stores import DatabaseStore
from porto.mail.models import SendingLimit
from tests.mail.limits_helpers import STORES, both_stores, redis_store_new

store = pytest.fixture(params=STORES)(both_stores)
pytestmark = pytest.mark.django_db  # the database store's tests also run on PostgreSQL

# A day of a busy key: several lanes, some due, some fresh, at uneven moments.
SCRIPT = [
    (0.0, [LaneAsk("1:bulk", 0, 25)]),
    (0.5, [LaneAsk("2:one", 0, 1), LaneAsk("1:bulk", 0, 25)]),
    (2.0, [LaneAsk("1:bulk", 1, 0), LaneAsk("3:bulk", 0, 10)]),
    (2.2, [LaneAsk("1:bulk", 2, 3), LaneAsk("2:one", 1, 0)]),
    (9.7, [LaneAsk("3:bulk", 4, 0), LaneAsk("1:bulk", 1, 0)]),
    (400.0, [LaneAsk("4:one", 0, 2)]),
]


def test_a_store_answers_as_the_algorithm_does(store):
    rate = per_minute(30)
    state = bucket_new(rate, 0.0)
    for now, asks in SCRIPT:
        expected = bucket_take(state, rate, asks, 1_764_000_000 + now)
        assert store.take("smtp:mail.acme.example:587:u", rate, asks, 1_764_000_000 + now) == (
            expected
        )


def test_keys_are_separate_buckets(store):
    rate = per_minute(10)  # a burst of 1
    first = store.take("company:1", rate, [LaneAsk("1:one", 0, 1)], 1000.0)
    other = store.take("company:2", rate, [LaneAsk("2:one", 0, 1)], 1000.0)
    again = store.take("company:1", rate, [LaneAsk("1:one", 0, 1)], 1000.0)
    assert (first["1:one"].granted_fresh, other["2:one"].granted_fresh) == (1, 1)
    assert again["1:one"].granted_fresh == 0
    assert again["1:one"].start == pytest.approx(1000.0 + 60 / 9)  # the next token's moment


def test_the_database_store_keeps_one_row_per_key(db):
    rate = per_minute(30)
    DatabaseStore().take("smtp:a:25:", rate, [LaneAsk("1:bulk", 0, 10)], 50.0)
    DatabaseStore().take("smtp:a:25:", rate, [LaneAsk("1:bulk", 0, 10)], 51.0)
    [row] = SendingLimit.objects.all()
    assert (row.key, list(row.lanes)) == ("smtp:a:25:", ["1:bulk"])
    assert row.updated == 51.0


def test_redis_keys_expire_after_their_last_slot():
    made = redis_store_new()
    try:
        made.take("company:9", per_minute(1), [LaneAsk("9:bulk", 0, 3)], 2000.0)
        ttl = made.client.pttl(made.prefix + "company:9")
        # two emails wait, at +1 and +2 minutes, the lane's next free slot is +3: kept an hour on
        assert 3600_000 + 179_000 < ttl <= 3600_000 + 180_000
    finally:
        made.clean()


# --- Many takers at once ---------------------------------------------------------------------

THREADS = 6
ROUNDS = 40
STEP = 0.5  # seconds of the fake clock between rounds


def hammer(take_in_thread, rate: Rate) -> Counter[float]:
    """THREADS threads each ask for 3 tokens (emails at their slot) at every round, all at the
    same fake moment;
    the tokens granted per moment."""
    granted: Counter[float] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def taker(number: int) -> None:
        try:
            for round_number in range(ROUNDS):
                now = 5000.0 + round_number * STEP
                barrier.wait(timeout=30)
                lane = f"{number}:bulk"
                answer = take_in_thread(rate, [LaneAsk(lane, 3, 0)], now)[lane]
                with lock:
                    granted[now] += answer.granted_due
                barrier.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=taker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return granted


def assert_within_rate(granted: Counter[float], rate: Rate) -> None:
    moments = sorted(granted)
    assert sum(granted.values()) > rate.burst  # the rate was reached, not just the burst
    for start in moments:
        for end in moments:
            if end >= start:
                taken = sum(granted[m] for m in moments if start <= m <= end)
                assert taken <= rate.burst + rate.refill * (end - start) + 1e-9, (start, end)


@pytest.mark.redis
def test_threads_sharing_redis_never_get_more_than_the_rate():
    made = redis_store_new()
    rate = Rate(count=20, period=10.0)  # a burst of 2, 1.8 a second
    try:
        granted = hammer(lambda r, asks, now: made.take("provider:x:y", r, asks, now), rate)
    finally:
        made.clean()
    assert_within_rate(granted, rate)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_sharing_the_database_never_get_more_than_the_rate():
    if connection.vendor != "postgresql":
        message = "Row locks between connections: `make test-postgres` runs this test."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    rate = Rate(count=20, period=10.0)
    granted = hammer(lambda r, asks, now: DatabaseStore().take("provider:x:y", r, asks, now), rate)
    assert_within_rate(granted, rate)

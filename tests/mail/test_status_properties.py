"""Property tests: the status does not depend on the order or the repetition of events.

Providers deliver events late, twice or out of order. Whatever order a multiset of events
arrives in, the facts and the shown status must equal those of the same SET applied once,
in time order.
"""

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from porto.mail.status import (
    Badge,
    Event,
    EventType,
    Status,
    document_badge,
    email_status,
    facts_from,
    merge,
    shown_status,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

# A small pool of instants makes ties and exact duplicates common.
instants = st.integers(min_value=0, max_value=12).map(lambda m: T0 + dt.timedelta(minutes=m))

# Weighted toward the types whose interplay matters; every type is reachable.
event_types = st.one_of(
    st.sampled_from(
        [
            EventType.SENT,
            EventType.DEFERRED,
            EventType.DELIVERED,
            EventType.OPENED,
            EventType.BOUNCED,
            EventType.COMPLAINED,
        ]
    ),
    st.sampled_from(list(EventType)),
)

events = st.builds(
    Event,
    type=event_types,
    at=instants,
    permanent=st.booleans(),  # False: a soft bounce / temporary failure
    machine=st.booleans(),  # True: an image proxy or scanner open
    reason=st.sampled_from(
        [
            "",
            "mailbox does not exist",  # plain text, as rows stored before reason codes
            {"code": "mailbox_missing", "params": {"server": "550 5.1.1 User unknown"}},
            {"code": "mailbox_full", "params": {"server": "552 5.2.2 Over quota"}},
        ]
    ),
    code=st.sampled_from(["", "550 5.1.1", "452 4.2.2"]),
)

multisets = st.lists(events, max_size=14)


def time_order(evs):
    return sorted(
        set(evs),
        key=lambda e: (
            e.at,
            e.type.value,
            e.permanent,
            e.machine,
            e.code,
            json.dumps(e.reason, sort_keys=True),
        ),
    )


def status(facts, now, handed_off_at, window):
    return shown_status(facts, now=now, handed_off_at=handed_off_at, in_transit_for=window)


clocks = st.tuples(
    st.integers(min_value=0, max_value=60 * 24 * 40).map(lambda m: T0 + dt.timedelta(minutes=m)),
    st.one_of(st.none(), instants),
    st.sampled_from([dt.timedelta(days=3), dt.timedelta(days=25)]),
)


@given(data=st.data(), multiset=multisets, clock=clocks)
def test_any_permutation_of_any_multiset_equals_the_set_applied_once_in_order(
    data, multiset, clock
):
    arrival = data.draw(st.permutations(multiset), label="arrival order")
    reference = facts_from(time_order(multiset))
    facts = facts_from(arrival)
    assert facts == reference
    assert status(facts, *clock) == status(reference, *clock)


@given(multiset=multisets, duplicates=st.lists(st.integers(min_value=0, max_value=13)))
def test_replaying_events_changes_nothing(multiset, duplicates):
    replayed = multiset + [multiset[i % len(multiset)] for i in duplicates if multiset]
    assert facts_from(replayed) == facts_from(multiset)


@given(history=multisets, a=events, b=events)
def test_merge_is_commutative(history, a, b):
    facts = facts_from(history)
    assert merge(merge(facts, a), b) == merge(merge(facts, b), a)


@given(history=multisets, a=events)
def test_merge_is_idempotent(history, a):
    once = merge(facts_from(history), a)
    assert merge(once, a) == once


@given(xs=multisets, ys=multisets, zs=multisets)
def test_batches_merge_associatively(xs, ys, zs):
    left = facts_from(zs, start=facts_from(ys, start=facts_from(xs)))
    right = facts_from(xs, start=facts_from(zs, start=facts_from(ys)))
    assert left == right == facts_from(xs + ys + zs)


@given(history=multisets, later=events, clock=clocks)
def test_a_later_event_never_takes_back_a_read_a_failure_or_a_delivery(history, later, clock):
    before = status(facts_from(history), *clock)
    after = status(facts_from([*history, later]), *clock)
    if before == Status.READ:
        assert after == Status.READ
    if before in (Status.FAILED, Status.DELIVERED):
        assert after in (Status.READ, Status.FAILED, Status.DELIVERED)


@given(history=multisets, clock=clocks)
def test_read_needs_a_human_open_and_failed_needs_a_permanent_failure(history, clock):
    shown = status(facts_from(history), *clock)
    human_open = any(
        e.type in (EventType.OPENED, EventType.CLICKED) and not e.machine for e in history
    )
    hard_failure = any(
        e.type in (EventType.REJECTED, EventType.FAILED, EventType.BOUNCED) and e.permanent
        for e in history
    )
    assert (shown == Status.READ) == human_open
    if shown == Status.FAILED:
        assert hard_failure


@given(history=multisets, handed_off_at=instants, window_days=st.integers(1, 30))
def test_without_a_final_fact_in_transit_turns_unknown_when_the_window_closes(
    history, handed_off_at, window_days
):
    facts = facts_from(history)
    if facts.is_final or facts.human_open_at:
        return
    window = dt.timedelta(days=window_days)
    signs = [facts.accepted_at, facts.last_deferred_at, handed_off_at]
    last_sign = max(s for s in signs if s is not None)
    just_before = last_sign + window - dt.timedelta(seconds=1)
    assert status(facts, just_before, handed_off_at, window) == Status.IN_TRANSIT
    assert status(facts, last_sign + window, handed_off_at, window) == Status.UNKNOWN


def expected_badge(statuses: list[Status]) -> Badge:
    """The badge rules of DESIGN.md, written out independently."""
    some_failed = Status.FAILED in statuses
    if Status.READ in statuses:
        return Badge(Status.READ, some_failed)
    if statuses and all(s == Status.FAILED for s in statuses):
        return Badge(Status.FAILED, True)
    if Status.DELIVERED in statuses:
        return Badge(Status.DELIVERED, some_failed)
    if Status.IN_TRANSIT in statuses:
        return Badge(Status.IN_TRANSIT, some_failed)
    return Badge(Status.UNKNOWN, some_failed)


@given(data=st.data(), statuses=st.lists(st.sampled_from(list(Status)), max_size=6))
def test_document_badge_follows_the_to_recipients_in_any_order(data, statuses):
    shuffled = data.draw(st.permutations(statuses))
    assert document_badge(shuffled) == document_badge(statuses) == expected_badge(statuses)


@given(
    to_histories=st.lists(multisets, max_size=4),
    clock=clocks,
    track_opens=st.booleans(),
)
def test_the_stored_email_status_read_at_any_time_is_the_badge_of_the_live_statuses(
    to_histories, clock, track_opens
):
    now, handed_off_at, window = clock
    facts = [facts_from(history) for history in to_histories]
    live = document_badge(
        shown_status(
            f,
            now=now,
            handed_off_at=handed_off_at,
            in_transit_for=window,
            track_opens=track_opens,
        )
        for f in facts
    )
    stored = email_status(
        facts, handed_off_at=handed_off_at, in_transit_for=window, track_opens=track_opens
    )
    assert stored.badge(now) == live

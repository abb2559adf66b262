"""The status rules, one behaviour at a time (porto/mail/status.py)."""

import datetime as dt

import pytest

from porto.mail.status import (
    STATUS_WORDS,
    Badge,
    EmailStatus,
    Event,
    EventType,
    Facts,
    Failure,
    ReadOutlook,
    Status,
    as_counted,
    document_badge,
    email_status,
    facts_from,
    merge,
    read_outlook,
    shown_status,
    status_choices,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PROVIDER_WINDOW = dt.timedelta(days=25)
OWN_SMTP_WINDOW = dt.timedelta(days=3)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def ev(kind: EventType, minutes: float, **kwargs) -> Event:
    return Event(type=kind, at=at(minutes), **kwargs)


def status_of(events, *, now=None, handed_off_at=T0, window=PROVIDER_WINDOW) -> Status:
    return shown_status(
        facts_from(events),
        now=now or at(60),
        handed_off_at=handed_off_at,
        in_transit_for=window,
    )


HARD_BOUNCE = ev(EventType.BOUNCED, 3, code="550 5.1.1", reason="mailbox does not exist")
SOFT_BOUNCE = ev(EventType.BOUNCED, 2, permanent=False, code="452 4.2.2", reason="mailbox full")


class TestFacts:
    def test_accepted_keeps_the_earliest_time(self):
        facts = facts_from([ev(EventType.SENT, 5), ev(EventType.QUEUED, 1)])
        assert facts.accepted_at == at(1)

    def test_deferral_keeps_the_latest_time(self):
        facts = facts_from([ev(EventType.DEFERRED, 9), ev(EventType.DEFERRED, 4)])
        assert facts.last_deferred_at == at(9)

    def test_soft_bounce_is_a_deferral_not_a_failure(self):
        facts = facts_from([SOFT_BOUNCE])
        assert facts.failure is None
        assert facts.last_deferred_at == at(2)

    def test_hard_bounce_records_the_failure_with_code_and_reason(self):
        facts = facts_from([HARD_BOUNCE])
        assert facts.failure == Failure(at=at(3), code="550 5.1.1", reason="mailbox does not exist")
        assert facts.failed_at == at(3)

    @pytest.mark.parametrize("kind", [EventType.REJECTED, EventType.FAILED, EventType.BOUNCED])
    def test_every_permanent_failure_type_fails(self, kind):
        assert facts_from([ev(kind, 1)]).failed_at == at(1)

    def test_earliest_failure_wins(self):
        late = ev(EventType.FAILED, 8, code="554", reason="late")
        facts = facts_from([late, HARD_BOUNCE])
        assert facts.failure is not None and facts.failure.reason == "mailbox does not exist"

    def test_failures_at_the_same_time_are_chosen_by_code_then_reason(self):
        a = ev(EventType.BOUNCED, 3, code="550", reason="b")
        b = ev(EventType.BOUNCED, 3, code="551", reason="a")
        assert facts_from([b, a]).failure == facts_from([a, b]).failure
        assert facts_from([b, a]).failure == Failure(at(3), "550", "b")

    @pytest.mark.parametrize(
        "kind",
        [
            EventType.DELIVERED,
            EventType.OPENED,
            EventType.CLICKED,
            EventType.COMPLAINED,
            EventType.AUTORESPONDED,
        ],
    )
    def test_events_from_the_mailbox_prove_delivery(self, kind):
        assert facts_from([ev(kind, 7)]).delivered_at == at(7)

    def test_open_before_delivered_keeps_the_earliest_delivery(self):
        facts = facts_from([ev(EventType.OPENED, 4), ev(EventType.DELIVERED, 6)])
        assert facts.delivered_at == at(4)
        assert facts.human_open_at == at(4)

    def test_machine_open_is_kept_apart_from_human_open(self):
        facts = facts_from([ev(EventType.OPENED, 2, machine=True)])
        assert facts.machine_open_at == at(2)
        assert facts.human_open_at is None
        assert facts.delivered_at == at(2)

    def test_complaint_is_recorded(self):
        assert facts_from([ev(EventType.COMPLAINED, 11)]).complained_at == at(11)

    @pytest.mark.parametrize("kind", [EventType.UNKNOWN, EventType.SUBSCRIBED, EventType.DEFERRED])
    def test_events_that_prove_nothing_final_leave_no_final_fact(self, kind):
        assert not facts_from([ev(kind, 1)]).is_final

    def test_delivery_and_failure_are_final(self):
        assert facts_from([ev(EventType.DELIVERED, 1)]).is_final
        assert facts_from([HARD_BOUNCE]).is_final

    def test_merge_returns_the_same_facts_when_nothing_changes(self):
        facts = Facts()
        assert merge(facts, ev(EventType.UNKNOWN, 1)) is facts

    def test_facts_from_continues_from_stored_facts(self):
        stored = facts_from([ev(EventType.SENT, 1)])
        facts = facts_from([ev(EventType.DELIVERED, 2)], start=stored)
        assert (facts.accepted_at, facts.delivered_at) == (at(1), at(2))


class TestShownStatus:
    def test_still_in_the_outbox_is_in_transit(self):
        assert status_of([], handed_off_at=None) == Status.IN_TRANSIT

    def test_accepted_is_in_transit(self):
        assert status_of([ev(EventType.SENT, 1)]) == Status.IN_TRANSIT

    def test_delivered(self):
        assert status_of([ev(EventType.SENT, 1), ev(EventType.DELIVERED, 2)]) == Status.DELIVERED

    def test_human_open_is_read(self):
        assert status_of([ev(EventType.OPENED, 5)]) == Status.READ

    def test_machine_open_is_delivered_not_read(self):
        assert status_of([ev(EventType.OPENED, 5, machine=True)]) == Status.DELIVERED

    def test_hard_bounce_is_failed(self):
        assert status_of([ev(EventType.SENT, 1), HARD_BOUNCE]) == Status.FAILED

    def test_delivered_after_a_hard_bounce_stays_failed(self):
        assert status_of([HARD_BOUNCE, ev(EventType.DELIVERED, 9)]) == Status.FAILED

    def test_a_human_open_outranks_a_failure(self):
        assert status_of([HARD_BOUNCE, ev(EventType.OPENED, 9)]) == Status.READ

    def test_soft_bounce_is_in_transit_never_failed(self):
        assert status_of([ev(EventType.SENT, 1), SOFT_BOUNCE]) == Status.IN_TRANSIT

    def test_soft_bounce_then_delivered_is_delivered(self):
        assert status_of([SOFT_BOUNCE, ev(EventType.DELIVERED, 30)]) == Status.DELIVERED

    def test_deferred_then_delivered_is_delivered(self):
        events = [ev(EventType.DEFERRED, 1), ev(EventType.DELIVERED, 40)]
        assert status_of(events) == Status.DELIVERED

    def test_without_a_final_fact_it_becomes_unknown_after_the_window(self):
        events = [ev(EventType.SENT, 1)]
        edge = at(1) + PROVIDER_WINDOW
        assert status_of(events, now=edge - dt.timedelta(seconds=1)) == Status.IN_TRANSIT
        assert status_of(events, now=edge) == Status.UNKNOWN

    def test_a_late_deferral_keeps_it_in_transit_longer(self):
        events = [ev(EventType.SENT, 1), ev(EventType.DEFERRED, 60 * 24 * 20)]
        assert status_of(events, now=at(60 * 24 * 30)) == Status.IN_TRANSIT

    def test_own_smtp_without_feedback_is_in_transit_for_a_few_days_then_unknown(self):
        kw = {"handed_off_at": T0, "window": OWN_SMTP_WINDOW}
        assert status_of([], now=T0 + dt.timedelta(days=2), **kw) == Status.IN_TRANSIT
        assert status_of([], now=T0 + dt.timedelta(days=4), **kw) == Status.UNKNOWN

    def test_final_facts_do_not_expire(self):
        far = at(60 * 24 * 365)
        assert status_of([ev(EventType.DELIVERED, 2)], now=far) == Status.DELIVERED
        assert status_of([HARD_BOUNCE], now=far) == Status.FAILED


class TestDocumentBadge:
    def test_no_to_recipient_is_unknown(self):
        assert document_badge([]) == Badge(Status.UNKNOWN)

    def test_any_read_is_read(self):
        badge = document_badge([Status.FAILED, Status.READ, Status.IN_TRANSIT])
        assert badge == Badge(Status.READ, some_failed=True)

    def test_all_failed_is_failed(self):
        assert document_badge([Status.FAILED, Status.FAILED]).status == Status.FAILED

    def test_any_delivered_is_delivered_and_flags_a_failed_co_recipient(self):
        assert document_badge([Status.DELIVERED, Status.FAILED]) == Badge(
            Status.DELIVERED, some_failed=True
        )
        assert document_badge([Status.DELIVERED, Status.IN_TRANSIT]) == Badge(Status.DELIVERED)

    def test_otherwise_in_transit_before_unknown(self):
        assert document_badge([Status.UNKNOWN, Status.IN_TRANSIT]) == Badge(Status.IN_TRANSIT)
        assert document_badge([Status.UNKNOWN, Status.FAILED]) == Badge(
            Status.UNKNOWN, some_failed=True
        )
        assert document_badge([Status.UNKNOWN]) == Badge(Status.UNKNOWN)


class TestStoredEmailStatus:
    """The email's badge decided without the clock (stored), then read at any time."""

    def stored(self, *to_events, handed_off_at=T0, track_opens=True) -> EmailStatus:
        return email_status(
            [facts_from(events) for events in to_events],
            handed_off_at=handed_off_at,
            in_transit_for=PROVIDER_WINDOW,
            track_opens=track_opens,
        )

    def test_waiting_recipients_keep_it_in_transit_until_the_last_window_closes(self):
        stored = self.stored([ev(EventType.SENT, 1)], [ev(EventType.DEFERRED, 60)])
        assert stored == EmailStatus(Status.IN_TRANSIT, at(60) + PROVIDER_WINDOW)
        assert stored.badge(at(60) + PROVIDER_WINDOW - dt.timedelta(seconds=1)) == Badge(
            Status.IN_TRANSIT
        )
        assert stored.badge(at(60) + PROVIDER_WINDOW) == Badge(Status.UNKNOWN)

    def test_still_in_the_outbox_it_never_turns_unknown(self):
        stored = self.stored([], handed_off_at=None)
        assert stored == EmailStatus(Status.IN_TRANSIT, None)
        assert stored.badge(at(60 * 24 * 365)).status == Status.IN_TRANSIT

    def test_a_final_fact_has_no_window(self):
        stored = self.stored([ev(EventType.DELIVERED, 2)], [ev(EventType.SENT, 1)])
        assert stored == EmailStatus(Status.DELIVERED, None)

    def test_a_failed_co_recipient_is_flagged_also_once_unknown(self):
        stored = self.stored([ev(EventType.BOUNCED, 2)], [ev(EventType.SENT, 1)])
        assert stored == EmailStatus(Status.IN_TRANSIT, at(1) + PROVIDER_WINDOW, True)
        assert stored.badge(at(60 * 24 * 30)) == Badge(Status.UNKNOWN, some_failed=True)

    def test_an_uncounted_open_is_delivered(self):
        stored = self.stored([ev(EventType.OPENED, 2)], track_opens=False)
        assert stored.status == Status.DELIVERED

    def test_no_to_recipient_is_unknown(self):
        assert self.stored() == EmailStatus(Status.UNKNOWN)


class TestStatusWords:
    def test_every_status_has_a_label_a_css_class_and_a_description(self):
        assert set(STATUS_WORDS) == set(Status)
        for status, words in STATUS_WORDS.items():
            assert str(words.label) and str(words.description)
            assert words.css == status.value  # the badge-<css> classes of porto.css

    def test_the_badge_reads_its_words_and_flags_a_failed_recipient(self):
        assert str(Badge(Status.DELIVERED).words.label) == "Delivered"
        assert str(Badge(Status.DELIVERED, some_failed=True).flag) == "a recipient failed"
        assert Badge(Status.FAILED, some_failed=True).flag == ""

    def test_the_choices_follow_the_enum(self):
        assert [value for value, _label in status_choices()] == [s.value for s in Status]


class TestTrackingOff:
    """An email sent with open tracking off never becomes Read, whatever arrives."""

    HUMAN_OPEN = ev(EventType.OPENED, 30)
    CLICK = ev(EventType.CLICKED, 31)

    def untracked_status(self, events) -> Status:
        return shown_status(
            facts_from(events),
            now=at(60),
            handed_off_at=T0,
            in_transit_for=PROVIDER_WINDOW,
            track_opens=False,
        )

    def test_a_human_open_is_kept_as_an_automatic_open(self):
        counted = as_counted(facts_from([self.HUMAN_OPEN]), track_opens=False)
        assert counted.human_open_at is None
        assert counted.machine_open_at == at(30)
        assert counted.delivered_at == at(30)

    def test_with_tracking_on_the_facts_are_counted_unchanged(self):
        facts = facts_from([self.HUMAN_OPEN])
        assert as_counted(facts, track_opens=True) is facts

    def test_the_earliest_open_stays_the_automatic_open_time(self):
        facts = facts_from([ev(EventType.OPENED, 40, machine=True), self.HUMAN_OPEN])
        assert as_counted(facts, track_opens=False).machine_open_at == at(30)

    @pytest.mark.parametrize("events", [[HUMAN_OPEN], [CLICK], [HUMAN_OPEN, CLICK]])
    def test_an_open_or_click_makes_it_delivered_not_read(self, events):
        assert self.untracked_status(events) == Status.DELIVERED

    def test_a_hard_bounce_and_an_open_is_failed_not_read(self):
        assert self.untracked_status([HARD_BOUNCE, self.HUMAN_OPEN]) == Status.FAILED

    def test_the_same_facts_with_tracking_on_are_read(self):
        assert status_of([self.HUMAN_OPEN]) == Status.READ


class TestReadOutlook:
    OPENED = facts_from([ev(EventType.OPENED, 30)])
    PREFETCHED = facts_from([ev(EventType.OPENED, 1, machine=True)])
    BOUNCED = facts_from([HARD_BOUNCE])

    @pytest.mark.parametrize("track_opens", [True, False])
    def test_own_smtp_can_never_become_read(self, track_opens):
        outlook = read_outlook([self.OPENED], own_smtp=True, track_opens=track_opens)
        assert outlook == ReadOutlook.OWN_SMTP

    def test_tracking_off_even_with_an_open(self):
        outlook = read_outlook([self.OPENED], own_smtp=False, track_opens=False)
        assert outlook == ReadOutlook.TRACKING_OFF

    @pytest.mark.parametrize(
        ("facts", "outlook"),
        [
            ([Facts(), OPENED], ReadOutlook.READ),
            ([PREFETCHED], ReadOutlook.MACHINE_ONLY),
            ([BOUNCED, BOUNCED], ReadOutlook.FAILED),
            ([BOUNCED, Facts()], ReadOutlook.WAITING),
            ([], ReadOutlook.WAITING),
        ],
    )
    def test_with_tracking_on(self, facts, outlook):
        assert read_outlook(facts, own_smtp=False, track_opens=True) == outlook

"""Property test: the overview's status filter lists each document under its badge.

For any emails (any provider and its window, open tracking on or off, any To/Cc/Bcc
recipients, handed off or still in the outbox), any events about them and any clock, the
badge the status code computes from the facts (``document_badge`` over the To recipients'
``Recipient.status``, a failed Cc or Bcc as its flag, as the timeline does) is the one status
filter under which SQL lists the document, and the overview's badge (read from the stored columns) says the same. The
stored columns are written by the real paths only: the outbox's hand-off and
``record_event``.
"""

import datetime as dt

import hypothesis
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from porto.mail.models import OutgoingEmail, Recipient, TransportName
from porto.mail.status import EventType, Status, document_badge
from porto.web.selectors import OverviewFilters, document_overview, latest_badges
from tests.factories import make_client, make_finalized
from tests.mail.status_helpers import email_queued, hand_off, record

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

# Their In transit windows differ: own SMTP 3 days, Resend 2 (its retention setting less a
# day), SparkPost 9, Amazon SES (no status API) and the others the 25-day refresh window.
PROVIDERS = ["sandbox", "smtp", "postmark", "resend", "sparkpost", "amazon_ses", "mailgun"]


def transport_of(provider: str) -> str:
    if provider in (TransportName.SANDBOX, TransportName.SMTP):
        return provider
    return TransportName.PROVIDER


def offsets(most_days: int):
    """Mostly whole days (so the clock often lands exactly where a window of whole days
    closes), sometimes any hour."""
    days = st.integers(min_value=0, max_value=most_days).map(lambda d: d * 24)
    return st.one_of(days, st.integers(min_value=0, max_value=most_days * 24))


event_types = st.sampled_from(
    [
        EventType.SENT,
        EventType.QUEUED,
        EventType.DEFERRED,
        EventType.DELIVERED,
        EventType.OPENED,
        EventType.BOUNCED,
        EventType.REJECTED,
        EventType.COMPLAINED,
    ]
)

events = st.fixed_dictionaries(
    {
        "recipient": st.integers(min_value=0, max_value=2),
        "type": event_types,
        "after_hours": offsets(8),
        "permanent": st.booleans(),
        "machine": st.booleans(),
    }
)

emails = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(PROVIDERS),
        "track_opens": st.booleans(),
        # The send service refuses an email without a To recipient.
        "kinds": st.lists(st.sampled_from(["to", "cc", "bcc"]), max_size=2).map(
            lambda more: ["to", *more]
        ),
        "handed_off_hour": st.one_of(st.none(), offsets(10)),
        "events": st.lists(events, max_size=6),
    }
)

# Per document: its emails, oldest first (the overview shows the latest).
documents = st.lists(st.lists(emails, min_size=1, max_size=2), min_size=1, max_size=3)
clocks = offsets(45).map(lambda h: T0 + dt.timedelta(hours=h))


@pytest.fixture
def papers(company):
    """Three finalized invoices to send, and one never sent (listed under no email status)."""
    client = make_client(company, emails=("boekhouding@klant.example",))
    return [make_finalized(company, client) for _ in range(4)]


def email_live(document, spec: dict, created_at: dt.datetime) -> OutgoingEmail:
    """The email through the real write paths: hand-off, then every event."""
    email = email_queued(
        document,
        transport=transport_of(spec["provider"]),
        kinds=spec["kinds"],
        track_opens=spec["track_opens"] and spec["provider"] != "smtp",
        created_at=created_at,
    )
    if spec["handed_off_hour"] is None:
        return email
    handed_off_at = T0 + dt.timedelta(hours=spec["handed_off_hour"])
    email = hand_off(email, handed_off_at, through=spec["provider"])
    for event in spec["events"]:
        index = event["recipient"] % len(spec["kinds"])
        at = handed_off_at + dt.timedelta(hours=event["after_hours"])
        fields = {"permanent": event["permanent"], "machine": event["machine"]}
        if event["type"] in (EventType.BOUNCED, EventType.REJECTED):
            fields |= {"reason": "Mailbox does not exist", "code": "550 5.1.1"}
        record(email, f"r{index}@klant.example", event["type"], at, **fields)
    return email


def badge_from_facts(email: OutgoingEmail, now: dt.datetime):
    """The badge as the timeline computes it, live: the To recipients' word, a failed Cc or
    Bcc's flag."""
    recipients = list(OutgoingEmail.objects.get(pk=email.pk).recipients.all())
    return document_badge(
        [r.status(now) for r in recipients if r.kind == Recipient.Kind.TO],
        [r.status(now) for r in recipients if r.kind != Recipient.Kind.TO],
    )


def listed_under(company, now: dt.datetime) -> dict[str, set[int]]:
    return {
        status.value: set(
            document_overview(company, OverviewFilters(status=status.value), now).values_list(
                "pk", flat=True
            )
        )
        for status in Status
    }


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sends=documents, now=clocks)
def test_each_document_is_listed_under_exactly_its_badge(company, papers, sends, now):
    with transaction.atomic():
        latest = {}
        for number, (document, specs) in enumerate(zip(papers, sends, strict=False)):
            for order, spec in enumerate(specs):
                created_at = T0 - dt.timedelta(days=10 - number, hours=-order)
                latest[document.pk] = email_live(document, spec, created_at)
        expected = {pk: badge_from_facts(email, now) for pk, email in latest.items()}
        for badge in expected.values():
            hypothesis.event(f"badge: {badge.status}")

        listed = listed_under(company, now)
        for document in papers:
            under = {status for status, pks in listed.items() if document.pk in pks}
            if document.pk in expected:
                assert under == {expected[document.pk].status.value}, document.pk
            else:
                assert under == set(), "a document never sent has no email status"
        unknown = {pk for pk, badge in expected.items() if badge.status == Status.UNKNOWN}
        assert listed[Status.UNKNOWN] == unknown

        rows = list(document_overview(company, OverviewFilters(), now))
        shown = {pk: row.badge for pk, row in latest_badges(rows, now).items()}
        assert shown == expected
        transaction.set_rollback(True)

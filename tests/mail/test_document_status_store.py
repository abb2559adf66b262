"""The document's copy of its latest email's status (``Document.email_status`` and the columns
beside it), written by ``porto.mail.status_store`` only: it always equals what the latest email
stores, its badge equals the one the timeline computes from the facts, the send paths move it
to the new email, and the clock alone turns In transit into Unknown."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from porto.documents.models import Document
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.requests import bulk_send, email_send
from porto.mail.selectors import document_status_q
from porto.mail.send.request import SendRequest
from porto.mail.status import EventType, Status, document_badge
from porto.mail.status_store import document_stored_status
from tests.factories import make_client, make_document, make_finalized
from tests.mail.status_helpers import email_queued, hand_off, record
from tests.web.conftest import prestore_pdf

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PROVIDERS = ["sandbox", "smtp", "postmark", "sparkpost", "resend", "amazon_ses"]


def copy_of(document: Document) -> tuple:
    document.refresh_from_db()
    return (
        document.last_email_id,
        document.last_email_at,
        document.email_status,
        document.email_unknown_after,
        document.email_some_failed,
    )


def stored_on(email: OutgoingEmail) -> tuple:
    email.refresh_from_db()
    return (email.pk, email.created_at, email.shown_status, email.unknown_after, email.some_failed)


def latest_of(document: Document) -> OutgoingEmail:
    return OutgoingEmail.objects.filter(document=document).order_by("-created_at", "-pk")[0]


def badge_from_facts(email: OutgoingEmail, now: dt.datetime):
    """As the timeline computes it: the To recipients' word, a failed Cc or Bcc's flag."""
    recipients = list(OutgoingEmail.objects.get(pk=email.pk).recipients.all())
    return document_badge(
        [r.status(now) for r in recipients if r.kind == Recipient.Kind.TO],
        [r.status(now) for r in recipients if r.kind != Recipient.Kind.TO],
    )


@pytest.fixture
def paper(company):
    return make_finalized(company, make_client(company, emails=("boekhouding@klant.example",)))


# Every combination the status tests know: any way out, tracking on or off, any To/Cc
# recipients, handed off or still queued, any events, emails written in any order of their
# creation times, read at any clock.
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
emails = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(PROVIDERS),
        "track_opens": st.booleans(),
        "kinds": st.lists(st.sampled_from(["to", "cc"]), max_size=2).map(lambda k: ["to", *k]),
        "created_hour": st.integers(min_value=0, max_value=48),
        "handed_off": st.booleans(),
        "events": st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=2),
                event_types,
                st.integers(min_value=0, max_value=240),
                st.booleans(),
                st.booleans(),
            ),
            max_size=5,
        ),
    }
)


def email_written(document: Document, spec: dict) -> OutgoingEmail:
    created_at = T0 + dt.timedelta(hours=spec["created_hour"])
    transport = spec["provider"] if spec["provider"] in ("sandbox", "smtp") else "provider"
    email = email_queued(
        document,
        transport=transport,
        kinds=spec["kinds"],
        track_opens=spec["track_opens"] and spec["provider"] != "smtp",
        created_at=created_at,
    )
    if not spec["handed_off"]:
        return email
    email = hand_off(email, created_at, through=spec["provider"])
    for index, type, hours, permanent, machine in spec["events"]:
        fields = {"permanent": permanent, "machine": machine}
        if type in (EventType.BOUNCED, EventType.REJECTED):
            fields |= {"reason": "Mailbox does not exist", "code": "550 5.1.1"}
        address = f"r{index % len(spec['kinds'])}@klant.example"
        record(email, address, type, created_at + dt.timedelta(hours=hours), **fields)
    return email


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(emails, min_size=1, max_size=3), hours=st.integers(0, 60 * 24))
def test_the_document_stores_its_latest_emails_status_and_shows_its_badge(paper, specs, hours):
    now = T0 + dt.timedelta(hours=hours)
    with transaction.atomic():
        for spec in specs:
            email_written(paper, spec)
        latest = latest_of(paper)
        assert copy_of(paper) == stored_on(latest)
        stored = document_stored_status(paper)
        assert stored is not None
        assert stored.badge(now) == badge_from_facts(latest, now)
        listed = {
            s for s in Status if Document.objects.filter(document_status_q(s, now), pk=paper.pk)
        }
        assert listed == {badge_from_facts(latest, now).status}
        transaction.set_rollback(True)


def test_a_document_never_sent_stores_no_email_status(paper):
    assert copy_of(paper) == (None, None, "", None, False)
    assert document_stored_status(paper) is None
    assert not any(Document.objects.filter(document_status_q(s, T0)) for s in Status)


def test_a_new_send_makes_the_document_in_transit_again(paper):
    first = hand_off(email_queued(paper, created_at=T0), T0)
    record(first, "r0@klant.example", EventType.DELIVERED, T0)
    assert copy_of(paper)[2] == Status.DELIVERED
    prestore_pdf(paper)
    second = email_send(SendRequest(document=paper, to=["boekhouding@klant.example"]))
    assert copy_of(paper) == (second.pk, second.created_at, Status.IN_TRANSIT, None, False)


def test_a_bulk_send_points_every_document_at_its_new_email(company, paper):
    other = make_finalized(company, paper.client)
    for document in (paper, other):
        email = hand_off(email_queued(document, created_at=T0), T0)
        record(email, "r0@klant.example", EventType.BOUNCED, T0, reason="No such user")
        assert copy_of(document)[2] == Status.FAILED
    job = bulk_send(company, [paper.pk, other.pk])
    new = {e.document_id: e for e in job.emails.all()}
    assert set(new) == {paper.pk, other.pk}
    for document in (paper, other):
        assert copy_of(document)[:3] == (
            new[document.pk].pk,
            new[document.pk].created_at,
            "in_transit",
        )


def test_news_about_an_older_email_leaves_the_document_on_its_latest(paper):
    older = hand_off(email_queued(paper, created_at=T0), T0)
    later = T0 + dt.timedelta(days=1)
    latest = hand_off(email_queued(paper, created_at=later), later)
    record(latest, "r0@klant.example", EventType.DELIVERED, later)
    record(older, "r0@klant.example", EventType.BOUNCED, later, reason="No such user")
    assert copy_of(paper) == stored_on(latest)
    assert copy_of(paper)[2] == Status.DELIVERED


def test_in_transit_reads_unknown_from_unknown_after_on_without_a_write(paper):
    email = hand_off(email_queued(paper, created_at=T0), T0)
    record(email, "r0@klant.example", EventType.SENT, T0)
    written = copy_of(paper)
    after = written[3]
    assert written[2] == Status.IN_TRANSIT and after is not None
    just_before = after - dt.timedelta(microseconds=1)
    assert document_stored_status(paper).badge(just_before).status == Status.IN_TRANSIT
    assert document_stored_status(paper).badge(after).status == Status.UNKNOWN
    in_transit = Document.objects.filter(document_status_q(Status.IN_TRANSIT, just_before))
    unknown = Document.objects.filter(document_status_q(Status.UNKNOWN, after))
    assert list(in_transit) == [paper]
    assert list(unknown) == [paper]
    assert not Document.objects.filter(document_status_q(Status.IN_TRANSIT, after))
    assert copy_of(paper) == written


def test_the_status_copy_is_written_on_a_finalized_document(paper):
    """A finalized document refuses every change but its bookkeeping: the copy is one."""
    assert paper.status == Document.Status.FINALIZED
    email = hand_off(email_queued(paper, created_at=T0), T0)
    record(email, "r0@klant.example", EventType.OPENED, T0)  # tracking off: proves delivery
    assert copy_of(paper)[2] == Status.DELIVERED


BEFORE = [("documents", "0006_document_company_updated")]
# Every app's latest migration: the test leaves the database as every later test expects it.
AFTER = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_every_document_from_its_latest_email(company):
    client = make_client(company, emails=("boekhouding@klant.example",))
    never, once, twice = (make_finalized(company, client) for _ in range(3))
    month_ago = timezone.now() - dt.timedelta(days=30)
    hand_off(email_queued(once, created_at=month_ago), month_ago)
    failed = hand_off(email_queued(twice, created_at=month_ago), month_ago)
    record(failed, "r0@klant.example", EventType.BOUNCED, month_ago, reason="No such user")
    later = month_ago + dt.timedelta(days=1)
    delivered = hand_off(email_queued(twice, created_at=later), later)
    record(delivered, "r0@klant.example", EventType.DELIVERED, later)
    written = [copy_of(d) for d in (never, once, twice)]
    assert written[2][2] == Status.DELIVERED and written[1][2] == Status.IN_TRANSIT

    migrate(BEFORE)  # the columns go away with what the status code wrote
    migrate(AFTER)  # and come back filled by the migration

    assert [copy_of(d) for d in (never, once, twice)] == written


def test_saving_a_document_loaded_before_a_status_change_keeps_the_new_status(company):
    """The editor saves whole drafts: a copy read before the email's news is not written back."""
    draft = make_document(company, make_client(company, emails=("boekhouding@klant.example",)))
    email = hand_off(email_queued(draft, created_at=T0), T0)
    loaded = Document.objects.get(pk=draft.pk)
    assert loaded.email_status == Status.IN_TRANSIT
    record(email, "r0@klant.example", EventType.DELIVERED, T0)
    loaded.note = "Thank you for your order."
    loaded.save()
    assert copy_of(draft)[2] == Status.DELIVERED
    assert Document.objects.get(pk=draft.pk).note == "Thank you for your order."

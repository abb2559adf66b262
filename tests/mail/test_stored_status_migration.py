"""Migration 0005 fills the stored status of emails sent before it with the decision the event
path makes from then on."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from porto.mail.models import OutgoingEmail
from porto.mail.status import EventType, Status
from tests.factories import make_client, make_finalized
from tests.mail.status_helpers import email_queued, hand_off, record

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("mail", "0004_email_sent_through")]
# Forward to the latest migrations, so the tests after this one find the schema they expect;
# the documents' too: theirs depends on mail's.
# Every app's latest migration: the test leaves the database as every later test expects it.
AFTER = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def stored(email: OutgoingEmail) -> tuple:
    email.refresh_from_db()
    return (email.shown_status, email.unknown_after, email.some_failed)


def test_existing_emails_get_the_status_the_event_path_would_store(company):
    client = make_client(company, emails=("boekhouding@klant.example",))
    now = timezone.now()
    month_ago = now - dt.timedelta(days=30)
    silent, delivered, half_failed, queued = (
        email_queued(make_finalized(company, client), kinds=kinds, created_at=month_ago)
        for kinds in (["to"], ["to"], ["to", "to"], ["to"])
    )
    silent, delivered, half_failed = (
        hand_off(email, month_ago, through="sparkpost")
        for email in (silent, delivered, half_failed)
    )
    record(delivered, "r0@klant.example", EventType.DELIVERED, month_ago)
    record(half_failed, "r0@klant.example", EventType.BOUNCED, month_ago, reason="No such user")
    record(half_failed, "r1@klant.example", EventType.SENT, month_ago)
    emails = (silent, delivered, half_failed, queued)
    written = [stored(e) for e in emails]
    assert written[0] == (Status.IN_TRANSIT, month_ago + dt.timedelta(days=9), False)
    assert written[1] == (Status.DELIVERED, None, False)
    assert written[2] == (Status.IN_TRANSIT, month_ago + dt.timedelta(days=9), True)
    assert written[3] == (Status.IN_TRANSIT, None, False)

    migrate(BEFORE)  # the columns go away with what the event path wrote
    migrate(AFTER)  # and come back filled by the migration

    assert [stored(e) for e in emails] == written

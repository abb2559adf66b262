"""Migration 0006_reason_codes: the reason text already stored survives the change to JSON (on
SQLite and, in the PostgreSQL pass, on PostgreSQL), and is shown as it was."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from porto.mail.reasons import reason_render

BEFORE = [("mail", "0005_stored_status")]
# Forward to the latest migrations, the documents' too: theirs depends on mail's.
# Every app's latest migration: the test leaves the database as every later test expects it.
AFTER = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
OLD_FAILURE = "The recipient's server says the mailbox does not exist (550 5.1.1 User unknown)"
OLD_DEFERRAL = 'Greylisted: "try again" in 5 minutes'


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_rows(transactional_db, company, invoice):
    apps = migrate(BEFORE)
    Email = apps.get_model("mail", "OutgoingEmail")
    Recipient = apps.get_model("mail", "Recipient")
    DeliveryEvent = apps.get_model("mail", "DeliveryEvent")
    email = Email.objects.create(
        company_id=company.pk, document_id=invoice.pk, last_error="Gave up after 8 attempts"
    )
    recipient = Recipient.objects.create(
        email=email,
        address="compta@cafe-elysee.example",
        failed_at=timezone.now(),
        failure_reason=OLD_FAILURE,
        last_deferral_reason=OLD_DEFERRAL,
    )
    DeliveryEvent.objects.create(
        source="smtp",
        type="rejected",
        at=timezone.now(),
        reason=OLD_FAILURE,
        dedupe_key="old-event",
        recipient=recipient,
    )
    empty = Recipient.objects.create(email=email, address="boss@cafe-elysee.example")
    yield email.pk, recipient.pk, empty.pk
    migrate(AFTER)


def test_text_stored_before_codes_is_kept_and_shown_as_it_was(old_rows):
    email_id, recipient_id, empty_id = old_rows
    apps = migrate(AFTER)
    recipient = apps.get_model("mail", "Recipient").objects.get(pk=recipient_id)
    assert recipient.failure_reason == OLD_FAILURE
    assert recipient.last_deferral_reason == OLD_DEFERRAL
    assert apps.get_model("mail", "OutgoingEmail").objects.get(pk=email_id).last_error == (
        "Gave up after 8 attempts"
    )
    event = apps.get_model("mail", "DeliveryEvent").objects.get(dedupe_key="old-event")
    assert reason_render(event.reason) == OLD_FAILURE
    assert apps.get_model("mail", "Recipient").objects.get(pk=empty_id).failure_reason == ""


def test_the_migration_can_be_undone_and_gives_the_text_back(old_rows):
    _email_id, recipient_id, _empty_id = old_rows
    migrate(AFTER)
    apps = migrate(BEFORE)
    recipient = apps.get_model("mail", "Recipient").objects.get(pk=recipient_id)
    assert recipient.failure_reason == OLD_FAILURE
    assert recipient.last_deferral_reason == OLD_DEFERRAL

"""``rows_insert`` stores exactly what ``bulk_create`` stores, column for column, in as many
statements, and sets the new rows' ids; on SQLite and (in the PostgreSQL pass) PostgreSQL."""

import datetime
import uuid
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from porto.api.models import IdempotencyKey
from porto.clients.models import Client
from porto.lib.rows import new_row, rows_insert
from porto.mail.models import OutgoingEmail, Recipient
from tests.factories import make_client, make_finalized

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MOMENT = datetime.datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=BRUSSELS)
TEXTS = ["", "Factuur 2026-00001", "é ü ß 中文 😀", "a\nb\tc", "'; DROP TABLE x; --", "x" * 5000]
REASONS = ["", "plain", {"code": "smtp_refused", "params": {"code": 550}}, [1, "two", None]]


def emails(document, count: int) -> list[OutgoingEmail]:
    """New emails with every kind of value, repeated and not: fixed where a default is drawn
    (ids, clocks), so two calls build the same rows."""
    rows = []
    for i in range(count):
        text = TEXTS[i % len(TEXTS)]
        rows.append(
            OutgoingEmail(
                public_id=uuid.UUID(int=i + 1),
                company=document.company,
                document=document,
                created_at=MOMENT + datetime.timedelta(microseconds=i),
                transport="sandbox" if i % 2 else "smtp",
                from_name=text[:200],
                from_address="acme@send.porto.example",
                reply_to="" if i % 3 else "boekhouding@acme.example",
                subject=text[:255] or "Factuur",
                body_text=text,
                body_html=f"<p>{text}</p>",
                language=["nl", "fr", "en"][i % 3],
                file_format="pdf",
                track_opens=bool(i % 2),
                message_id=f"{i}@send.porto.example",
                attempts=i % 4,
                next_attempt_at=MOMENT.astimezone(datetime.UTC),
                woken_at=None if i % 2 else MOMENT,
                last_error=REASONS[i % len(REASONS)],
                files_pending=True,
            )
        )
    return rows


def recipients(stored: list[OutgoingEmail]) -> list[Recipient]:
    return [
        Recipient(
            email=email,
            kind=[Recipient.Kind.TO, Recipient.Kind.CC, Recipient.Kind.BCC][n],
            position=n,
            name=TEXTS[(i + n) % len(TEXTS)][:200],
            address=f"r{n}@klant.example",
            pixel_key=f"key-{i}-{n}",
            failure_reason=REASONS[n],
        )
        for i, email in enumerate(stored)
        for n in range(3)
    ]


def stored_columns(model: type[models.Model], rows) -> list[tuple]:
    """Every column of ``rows`` as the database holds it, but the id, in the rows' order."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    ids = [row.pk for row in rows]
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {names} FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
        by_id = {row[0]: row[1:] for row in cursor.fetchall()}
    return [by_id[pk] for pk in ids]


def recipient_columns(stored: list[OutgoingEmail], rows: list[Recipient]) -> list[tuple]:
    """The recipients' columns with the email's id as its place in ``stored``: the two
    writes give the emails other ids."""
    place = {email.pk: i for i, email in enumerate(stored)}
    return [(place[columns[0]], *columns[1:]) for columns in stored_columns(Recipient, rows)]


def stored_index(name: str) -> int:
    fields = [f for f in IdempotencyKey._meta.concrete_fields if not f.primary_key]
    return [f.name for f in fields].index(name)


def inserts(queries) -> int:
    return sum(q["sql"].lstrip().upper().startswith("INSERT") for q in queries)


def test_emails_and_recipients_are_stored_as_bulk_create_stores_them(company):
    document = make_finalized(company, make_client(company))
    count = 60  # more than one statement on SQLite (999 parameters)
    with CaptureQueriesContext(connection) as by_orm:
        orm = OutgoingEmail.objects.bulk_create(emails(document, count), batch_size=500)
        orm_recipients = Recipient.objects.bulk_create(recipients(orm), batch_size=500)
    expected = stored_columns(OutgoingEmail, orm), recipient_columns(orm, orm_recipients)
    OutgoingEmail.objects.all().delete()  # their recipients go with them

    with CaptureQueriesContext(connection) as by_rows_insert:
        mine = emails(document, count)
        rows_insert(mine)
        mine_recipients = recipients(mine)
        rows_insert(mine_recipients)

    assert (stored_columns(OutgoingEmail, mine), recipient_columns(mine, mine_recipients)) == (
        expected
    )
    statements = inserts(by_rows_insert.captured_queries)
    assert statements == inserts(by_orm.captured_queries)
    assert statements > 2 or connection.vendor != "sqlite"  # batches, as bulk_create's
    assert all(not row._state.adding for row in mine + mine_recipients)
    assert [r.email_id for r in mine_recipients] == [e.pk for e in mine for _n in range(3)]


def test_a_field_set_on_save_is_set_as_the_orm_sets_it(company):
    """``auto_now`` and ``auto_now_add`` take the clock's time in ``pre_save``."""
    now = datetime.datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=now):
        orm = Client.objects.bulk_create(
            [Client(company=company, name=f"Klant {i}") for i in range(3)]
        )
        expected = stored_columns(Client, orm)
        Client.objects.filter(pk__in=[c.pk for c in orm]).delete()
        mine = [Client(company=company, name=f"Klant {i}") for i in range(3)]
        rows_insert(mine)
    assert stored_columns(Client, mine) == expected
    assert {c.created_at for c in mine} == {c.updated_at for c in mine} == {now}


def test_an_encrypted_field_is_prepared_value_by_value_as_the_orm_does(company):
    """A field class of its own is never prepared once for equal values: each secret gets its
    own nonce, as with bulk_create."""
    rows = [
        IdempotencyKey(company=company, key=f"k{i}", method="POST", response_text="same secret")
        for i in range(2)
    ]
    rows_insert(rows)
    stored = IdempotencyKey.objects.filter(pk__in=[r.pk for r in rows])
    assert [r.response_text for r in stored] == ["same secret", "same secret"]
    ciphertexts = {
        row[stored_index("response_text")] for row in stored_columns(IdempotencyKey, rows)
    }
    assert len(ciphertexts) == 2


def test_a_foreign_key_set_before_its_object_was_stored_takes_its_id(company):
    document = make_finalized(company, make_client(company))
    [email] = emails(document, 1)
    recipient = Recipient(email=email, address="a@klant.example")
    rows_insert([email])
    rows_insert([recipient])
    assert Recipient.objects.get(pk=recipient.pk).email_id == email.pk


def test_rows_with_an_id_or_an_unsaved_related_object_are_refused(company):
    document = make_finalized(company, make_client(company))
    [email] = emails(document, 1)
    with pytest.raises(ValueError, match="not saved yet"):
        rows_insert([Recipient(email=email, address="a@klant.example")])
    rows_insert([email])
    with pytest.raises(ValueError, match="new OutgoingEmail rows only"):
        rows_insert([email])
    assert OutgoingEmail.objects.count() == 1
    assert Recipient.objects.count() == 0


def email_values(document, **more) -> dict:
    return {
        "public_id": uuid.UUID(int=7),
        "company": document.company,
        "document": document,
        "created_by": None,
        "created_at": MOMENT,
        "transport": "sandbox",
        "from_name": "Acme BV",
        "from_address": "acme@send.porto.example",
        "subject": "Factuur 2026-00001",
        "body_text": "Beste klant",
        "language": "nl",
        "file_format": "pdf",
        "email_text": None,
        "message_id": "7@send.porto.example",
        "next_attempt_at": MOMENT,
    } | more


def test_a_new_row_holds_what_the_model_built_from_keywords_holds(company):
    document = make_finalized(company, make_client(company))
    values = email_values(document, files_pending=True, bulk_job_id=None)
    built, expected = new_row(OutgoingEmail, values), OutgoingEmail(**values)
    assert [getattr(built, f.attname) for f in OutgoingEmail._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in OutgoingEmail._meta.concrete_fields
    ]
    assert built._state.adding and built.pk is None


def test_a_new_row_draws_a_callable_default_for_each_row(company):
    document = make_finalized(company, make_client(company))
    [email] = emails(document, 1)
    rows_insert([email])
    keys = {
        new_row(Recipient, {"email_id": email.pk, "address": "a@b.example"}).pixel_key
        for _ in range(3)
    }
    assert len(keys) == 3


def test_a_new_row_refuses_an_unknown_field_and_an_unsaved_related_object(company):
    document = make_finalized(company, make_client(company))
    with pytest.raises(TypeError, match="no field"):
        new_row(OutgoingEmail, email_values(document, colour="red"))
    [email] = emails(document, 1)
    with pytest.raises(ValueError, match="not saved yet"):
        new_row(Recipient, {"email": email, "address": "a@b.example"})

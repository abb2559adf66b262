"""/healthz and /readyz: real checks against the real database, the real Redis and the
installed e-invoice rules; a broken dependency is broken for real (a dropped table, a port
nobody listens on, a migration marked unapplied), inside the test's rolled-back transaction."""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django_tasks_db.models import DBTaskResult

from tests.mail.smtpd import free_port
from tests.services import REDIS_URL, require_redis

CHECK_OUTCOMES = {"ok", "failing"}


@pytest.fixture
def rules_present(settings, installed_rules):
    settings.PORTO_EINVOICE_RULES_DIR = installed_rules


def answer(path: str, client: Client | None = None) -> tuple[int, dict]:
    response = (client or Client()).get(path)
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def test_healthz_is_200_ok_when_database_queue_and_rules_are_there(db, rules_present):
    assert answer("/healthz") == (
        200,
        {"status": "ok", "checks": {"database": "ok", "task_queue": "ok", "einvoice_rules": "ok"}},
    )


def test_healthz_is_503_naming_the_missing_einvoice_rules(db):
    status, body = answer("/healthz")  # tests/web/conftest.py points the rules at an empty dir
    assert status == 503
    assert body == {
        "status": "failing",
        "checks": {"database": "ok", "task_queue": "ok", "einvoice_rules": "failing"},
    }


def test_healthz_is_503_when_the_database_task_table_is_gone(db, rules_present, settings):
    settings.PORTO_TASK_BACKEND = "db"
    table = connection.ops.quote_name(DBTaskResult._meta.db_table)
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute(f"DROP TABLE {table}")
    status, body = answer("/healthz")
    assert status == 503
    assert body["checks"]["task_queue"] == "failing"
    assert body["checks"]["einvoice_rules"] == "ok"


def test_healthz_with_rq_pings_the_real_redis(db, rules_present, settings):
    require_redis()
    settings.PORTO_TASK_BACKEND = "rq"
    settings.REDIS_URL = REDIS_URL
    assert answer("/healthz") == (
        200,
        {"status": "ok", "checks": {"database": "ok", "task_queue": "ok", "einvoice_rules": "ok"}},
    )


def test_healthz_with_rq_is_503_when_nothing_listens_at_redis_url(db, rules_present, settings):
    settings.PORTO_TASK_BACKEND = "rq"
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    status, body = answer("/healthz")
    assert status == 503
    assert body["checks"] == {"database": "ok", "task_queue": "failing", "einvoice_rules": "ok"}


def test_readyz_is_200_when_every_migration_is_applied(db):
    assert answer("/readyz") == (
        200,
        {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}},
    )


def test_readyz_is_503_while_a_migration_is_not_applied(db):
    latest = MigrationRecorder.Migration.objects.filter(app="mail").order_by("-name").first()
    assert latest is not None
    latest.delete()  # as if the new release's migration had not run yet
    assert answer("/readyz") == (
        503,
        {"status": "failing", "checks": {"database": "ok", "migrations": "failing"}},
    )


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_never_cached(db, path):
    cache_control = Client().get(path)["Cache-Control"]
    assert {"no-cache", "no-store", "must-revalidate", "private", "max-age=0"} <= {
        part.strip() for part in cache_control.split(",")
    }


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_a_signed_in_outsider_exactly_as_anyone_with_names_and_outcomes_only(
    db, path, outsider_client, company
):
    anonymous = answer(path)
    assert answer(path, outsider_client) == anonymous
    _, body = anonymous
    assert set(body) == {"status", "checks"}
    assert set(body["checks"].values()) <= CHECK_OUTCOMES
    assert company.name not in str(body)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_a_post_with_405(db, path):
    assert Client().post(path).status_code == 405

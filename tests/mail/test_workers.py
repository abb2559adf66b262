"""Real worker processes deliver a bulk send: with the database task backend on SQLite, on
PostgreSQL with two workers, and with RQ on Redis. The crash test kills the worker with SIGKILL
again and again: every email still ends sent or failed, none is lost, and the receiving server
sees at most one duplicate per kill."""

import json
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.mail.processes import (
    POSTGRES_URL,
    TEST_REDIS_URL,
    Run,
    assert_none_lost,
    deliver_bulk,
    on_postgres_pass,
    psql,
    report,
    sqlite_url,
    wait_until_final,
)
from tests.mail.smtpd import Rules, SmtpTestServer
from tests.services import require, require_redis

pytestmark = pytest.mark.processes


@pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass")
def test_killing_the_worker_again_and_again_loses_nothing(tmp_path, capsys):
    result = deliver_bulk(tmp_path, sqlite_url(tmp_path), count=300, kills=5)
    report(capsys, result, "db backend on SQLite, 1 worker, SIGKILLed 5 times")
    assert result["kills"] == 5
    assert_none_lost(result)


@pytest.mark.postgres
def test_two_workers_on_postgresql_share_the_work_and_survive_kills(tmp_path, capsys):
    require("PostgreSQL", POSTGRES_URL, 5432)
    database = f"porto_workers_{uuid.uuid4().hex[:10]}"
    admin = urlparse(POSTGRES_URL)
    url = admin._replace(path=f"/{database}").geturl()
    psql(f'CREATE DATABASE "{database}"')
    try:
        result = deliver_bulk(tmp_path, url, workers=2, count=300, kills=3)
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report(capsys, result, "db backend on PostgreSQL, 2 workers, SIGKILLed 3 times")
    assert_none_lost(result)


@pytest.mark.redis
@pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass")
def test_rq_workers_on_redis_deliver_the_bulk_send(tmp_path, capsys):
    require_redis()
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()  # the tests' own database number
    result = deliver_bulk(tmp_path, sqlite_url(tmp_path), backend="rq", count=200, kills=2)
    report(capsys, result, "RQ on Redis, 1 worker, SIGKILLed 2 times")
    assert_none_lost(result)


# --- Poison input: a webhook whose projection raises stops neither the worker nor the sweeper

POISON_MESSAGE_IDS = {
    "sqlite": ["\ud800"],  # a lone surrogate: no UTF-8 for it
    "postgresql": ["\ud800", "abc\x00def", "m" * 300],  # NUL, longer than the column
}
STORE_POISON = """
import datetime as dt, json
from pathlib import Path
from django.db import connection
from porto.mail.models import InboundWebhook
from porto.mail.tasks import process_webhook
rows = []
for message_id in json.loads({ids!r})[connection.vendor]:
    body = json.loads(Path("tests/mail/payloads/postmark/bounce_hard.json").read_text())
    body["MessageID"] = message_id
    for enqueued in (True, False):  # projected by the worker's task / by the sweeper
        row = InboundWebhook.objects.create(
            provider="postmark",
            headers={{"Content-Type": "application/json"}},
            body=json.dumps(body).encode(),
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        )
        if enqueued:
            process_webhook.enqueue(row.pk)
        rows.append(row.pk)
print(json.dumps(rows))
"""
POISON_STATE = """
import json
from porto.mail.models import InboundWebhook
print(json.dumps([[w.processed_at is not None, w.error] for w in InboundWebhook.objects.all()]))
"""


def last_json(output: str):
    return json.loads(output.strip().splitlines()[-1])  # after the shell's own notices


def poison_then_send(tmp_path: Path, database_url: str) -> None:
    server = SmtpTestServer(Rules())
    server.start()
    run = Run(tmp_path, database_url, "db", server.port_number)
    try:
        run.run(run.manage("migrate", "--noinput"))
        poison = last_json(
            run.run(
                run.manage("shell", "-c", STORE_POISON.format(ids=json.dumps(POISON_MESSAGE_IDS)))
            )
        )
        assert poison
        assert run.scenario("seed", "1")["queued"] == 1
        run.start_worker()
        run.start_sweeper()
        counts = wait_until_final(run, 1)
        states = last_json(run.run(run.manage("shell", "-c", POISON_STATE)))
        time.sleep(2)  # a round more of the sweeper and the worker's polling
        alive = [process.poll() is None for process in run.workers + run.others]
    finally:
        run.stop()
        server.stop()
    assert counts["states"] == {"sent": 1}
    assert len(server.received) == 1
    assert states and all(processed and error for processed, error in states), states
    assert alive == [True, True]  # the worker and the sweeper still run


@pytest.mark.skipif(on_postgres_pass(), reason="runs in the SQLite pass")
def test_poison_webhooks_then_a_send_on_sqlite_the_send_goes_out_and_every_process_runs(
    tmp_path,
):
    poison_then_send(tmp_path, sqlite_url(tmp_path))


@pytest.mark.postgres
def test_poison_webhooks_then_a_send_on_postgresql_the_send_goes_out_and_every_process_runs(
    tmp_path,
):
    require("PostgreSQL", POSTGRES_URL, 5432)
    database = f"porto_poison_{uuid.uuid4().hex[:10]}"
    url = urlparse(POSTGRES_URL)._replace(path=f"/{database}").geturl()
    psql(f'CREATE DATABASE "{database}"')
    try:
        poison_then_send(tmp_path, url)
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

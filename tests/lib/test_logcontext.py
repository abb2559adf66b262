"""Structured logs: the JSON line format, the context's scoping (blocks, threads), and the
entry points that bind it: a signed-in user's request, a delivery task, a webhook's processing.
Records are captured by a handler with the same filter and formatter as production's."""

import io
import json
import logging
import threading

import pytest
from django.test import Client

from porto.lib.logcontext import (
    ContextFilter,
    JsonFormatter,
    log_context,
    log_context_bind,
    log_context_get,
    log_context_reset,
)
from porto.mail.feedback.webhooks import webhook_process
from porto.mail.models import InboundWebhook
from porto.mail.requests import SendRequest, email_send
from porto.mail.status_store import email_status_stored, emails_status_stored
from porto.mail.tasks import deliver_emails
from tests.mail.conftest import client_fr, company, invoice, smtp_server
from tests.mail.smtpd import free_port

__all__ = ["client_fr", "company", "invoice", "smtp_server"]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class JsonLines:
    """A handler as settings.LOGGING builds it for PORTO_LOG_FORMAT=json, writing to a buffer."""

    def __init__(self, logger_name: str = "") -> None:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.addFilter(ContextFilter())
        self.handler.setFormatter(JsonFormatter())
        self.logger = logging.getLogger(logger_name)

    def __enter__(self) -> "JsonLines":
        self.logger.addHandler(self.handler)
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]


def test_a_record_is_one_json_line_with_time_level_logger_message_and_the_bound_ids():
    with JsonLines("porto.test") as captured, log_context(company_id=7, email_id=42):
        logging.getLogger("porto.test").warning("Email %s deferred:\nline two", 42)
    [line] = captured.buffer.getvalue().splitlines()
    record = json.loads(line)
    assert record["time"].endswith("+00:00") and "T" in record["time"]
    assert {k: record[k] for k in ("level", "logger", "message", "company_id", "email_id")} == {
        "level": "WARNING",
        "logger": "porto.test",
        "message": "Email 42 deferred:\nline two",
        "company_id": 7,
        "email_id": 42,
    }
    assert "document_id" not in record  # unknown ids are left out, not null


def test_an_exception_is_written_inside_the_same_json_line():
    with JsonLines("porto.test") as captured:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("porto.test").exception("Failed")
    [record] = captured.records()
    assert "RuntimeError: boom" in record["exception"]


def test_a_block_restores_the_outer_context_when_it_ends():
    with log_context(company_id=1):
        with log_context(email_id=2):
            assert log_context_get() == {"company_id": 1, "email_id": 2}
        assert log_context_get() == {"company_id": 1}
    assert log_context_get() == {}


def test_an_unknown_key_is_refused_with_the_known_ones_named():
    with pytest.raises(ValueError, match="Unknown log context keys \\['client_name'\\]"):
        log_context_bind(client_name="Acme")


def test_threads_never_see_each_others_context():
    seen = {}

    def work(name: str, email_id: int, ready: threading.Barrier) -> None:
        token = log_context_bind(email_id=email_id)
        ready.wait()  # both bound before either reads
        seen[name] = log_context_get()
        log_context_reset(token)

    ready = threading.Barrier(2)
    threads = [threading.Thread(target=work, args=(n, i, ready)) for n, i in (("a", 1), ("b", 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": {"email_id": 1}, "b": {"email_id": 2}}
    assert log_context_get() == {}


def test_a_signed_in_users_request_logs_their_user_and_company(teammate, company):
    browser = Client()
    browser.force_login(teammate)
    with JsonLines("django.request") as captured:  # only an owner may change the method
        assert browser.post("/settings/email/method/", {}).status_code == 403
    [record] = captured.records()
    assert record["message"] == "Forbidden (Permission denied): /settings/email/method/"
    assert (record["user_id"], record["company_id"]) == (teammate.pk, company.pk)
    assert log_context_get() == {}  # the next request of this thread starts empty


def test_an_anonymous_request_logs_no_ids(db, settings):
    settings.PORTO_TASK_BACKEND = "rq"
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens: logged
    with JsonLines("porto.web.health") as captured:
        assert Client().get("/healthz").status_code == 503
    [record] = captured.records()
    assert record["message"] == "Health check task_queue failed"
    assert not {"user_id", "company_id"} & set(record)


def test_a_delivery_task_binds_its_email_document_and_company(settings, smtp_server, invoice):
    settings.TASKS = IMMEDIATE
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    during = []

    def remember(sender, **kwargs) -> None:
        during.append(log_context_get())

    # One email's status, or a batch's (the delivery of a batch stores them together).
    email_status_stored.connect(remember)
    emails_status_stored.connect(remember)
    try:
        deliver_emails.enqueue([email.pk])
    finally:
        email_status_stored.disconnect(remember)
        emails_status_stored.disconnect(remember)
    assert during, "the delivery stored a status"
    assert {key: during[-1].get(key) for key in ("email_id", "document_id", "company_id")} == {
        "email_id": email.pk,
        "document_id": invoice.pk,
        "company_id": invoice.company_id,
    }
    assert during[-1]["task_id"]
    assert log_context_get() == {}  # unbound when the task finished


def test_a_webhooks_processing_logs_its_webhook_id(db):
    webhook = InboundWebhook.objects.create(
        provider="postmark", headers={"Content-Type": "application/json"}, body=b"{not json"
    )
    with JsonLines("porto.mail") as captured:
        assert webhook_process(webhook.pk) == 0
    assert captured.records(), "the unreadable body was logged"
    assert {record.get("webhook_id") for record in captured.records()} == {webhook.pk}

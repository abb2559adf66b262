""" "Send test email" against a real SMTP server running in the test process."""

import pytest

from porto.emailsettings.models import EmailSettings, Method
from porto.emailsettings.services import smtp_test_send
from porto.lib.smtp import Step
from tests.emailsettings.conftest import (
    PASSWORD,
    USERNAME,
    RecordingHandler,
    free_port,
    running_smtp_server,
)

pytestmark = pytest.mark.django_db


def smtp_settings(company, server_host, port, **fields) -> EmailSettings:
    values = {
        "method": Method.SMTP,
        "smtp_host": server_host,
        "smtp_port": port,
        "smtp_security": "starttls",
        "smtp_username": USERNAME,
        "smtp_password": PASSWORD,
        "smtp_from_address": "facturen@acme.example",
        "sender_name": "Acme BV",
    } | fields
    return EmailSettings(company=company, **values)


def states(report) -> dict[str, str]:
    return {str(result.step): result.state for result in report.steps}


def test_success_with_starttls_and_login(company, starttls_server, trust_test_ca):
    settings = smtp_settings(company, starttls_server.host, starttls_server.port)

    report = smtp_test_send(settings, "owner@acme.example")

    assert report.ok, report.steps
    assert states(report) == {
        "connect": "ok",
        "tls": "ok",
        "login": "ok",
        "sender": "ok",
        "recipients": "ok",
        "data": "ok",
    }
    tls_message = next(s.message for s in report.steps if s.step == Step.TLS)
    assert "STARTTLS" in tls_message and "TLSv1." in tls_message
    assert "owner@acme.example" in report.steps[-1].message
    [(mail_from, rcpt_tos, message)] = starttls_server.handler.messages
    assert mail_from == "facturen@acme.example"
    assert rcpt_tos == ["owner@acme.example"]
    assert message["From"] == "Acme BV <facturen@acme.example>"
    assert message["Subject"] == "Porto test email"
    assert message["Message-ID"].endswith("@acme.example>")


def test_refused_login_says_so_and_stops(company, starttls_server, trust_test_ca):
    settings = smtp_settings(
        company, starttls_server.host, starttls_server.port, smtp_password="wrong"
    )

    report = smtp_test_send(settings, "owner@acme.example")

    assert not report.ok
    assert states(report) == {
        "connect": "ok",
        "tls": "ok",
        "login": "failed",
        "sender": "skipped",
        "recipients": "skipped",
        "data": "skipped",
    }
    assert "refused the login (535)" in report.failure.message
    assert "username and password" in report.failure.message
    assert starttls_server.handler.messages == []


def test_server_without_starttls_while_starttls_is_chosen(company, plain_server):
    settings = smtp_settings(company, plain_server.host, plain_server.port)

    report = smtp_test_send(settings, "owner@acme.example")

    assert report.failure.step == Step.TLS
    assert states(report)["connect"] == "ok"
    assert f"does not offer STARTTLS on port {plain_server.port}" in report.failure.message
    assert plain_server.handler.messages == []


def test_certificate_not_trusted_is_a_tls_failure(company, starttls_server):
    settings = smtp_settings(company, starttls_server.host, starttls_server.port)

    report = smtp_test_send(settings, "owner@acme.example")  # the test CA is not trusted

    assert report.failure.step == Step.TLS
    assert "TLS handshake" in report.failure.message
    assert "CERTIFICATE_VERIFY_FAILED" in report.failure.message


def test_closed_port(company):
    port = free_port()  # bound and released: nothing listens there now
    settings = smtp_settings(company, "127.0.0.1", port)

    report = smtp_test_send(settings, "owner@acme.example")

    assert report.failure.step == Step.CONNECT
    assert f"Nothing answers at 127.0.0.1:{port}" in report.failure.message
    assert states(report)["tls"] == "skipped"


def test_host_that_does_not_resolve(company):
    settings = smtp_settings(company, "smtp.acme.invalid", 587)

    report = smtp_test_send(settings, "owner@acme.example")

    assert report.failure.step == Step.CONNECT
    assert "smtp.acme.invalid could not be found" in report.failure.message


def test_from_address_refused_at_mail_from(company, tls_files, trust_test_ca):
    handler = RecordingHandler(refused_senders={"facturen@acme.example"})
    with running_smtp_server(
        handler, tls_context=tls_files.server_context(), require_starttls=True
    ) as server:
        settings = smtp_settings(company, server.host, server.port, smtp_username="")
        report = smtp_test_send(settings, "owner@acme.example")

    assert states(report) == {
        "connect": "ok",
        "tls": "ok",
        "login": "ok",
        "sender": "failed",
        "recipients": "skipped",
        "data": "skipped",
    }
    assert "refuses facturen@acme.example as the from-address (553" in report.failure.message
    assert "Sender address not allowed" in report.failure.message
    assert handler.messages == []


def test_implicit_tls(company, tls_files, trust_test_ca):
    with running_smtp_server(ssl_context=tls_files.server_context()) as server:
        settings = smtp_settings(
            company, server.host, server.port, smtp_security="tls", smtp_username=""
        )
        report = smtp_test_send(settings, "owner@acme.example")

    assert report.ok, report.steps
    assert "Encrypted with TLS" in report.steps[1].message
    assert len(server.handler.messages) == 1


def test_no_encryption_is_a_warning_but_works(company, plain_server):
    settings = smtp_settings(
        company, plain_server.host, plain_server.port, smtp_security="none", smtp_username=""
    )

    report = smtp_test_send(settings, "owner@acme.example")

    assert report.ok
    assert states(report)["tls"] == "warning"
    assert "Not encrypted" in report.steps[1].message
    assert len(plain_server.handler.messages) == 1

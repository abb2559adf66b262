"""Own mailbox (SMTP): DSN when the server offers it, clear reasons when the settings are wrong,
a timeout when the server hangs."""

import socket
import threading

import pytest
from django.utils import translation

from porto.emailsettings.selectors import email_settings_for
from porto.lib.smtp import Security, SmtpConfig
from porto.mail.delivery import email_deliver
from porto.mail.models import OutgoingEmail, TransportBreaker
from porto.mail.reasons import reason_render
from porto.mail.requests import SendRequest, email_send
from porto.mail.transports.smtp import xtext
from tests.mail.smtpd import Rules, SmtpTestServer


def use_own_smtp(company, port: int, **fields) -> None:
    email_settings = email_settings_for(company)
    email_settings.method = "smtp"
    email_settings.smtp_host = fields.pop("host", "127.0.0.1")
    email_settings.smtp_port = port
    email_settings.smtp_security = fields.pop("security", "none")
    email_settings.smtp_from_address = "facturen@acme.example"
    for name, value in fields.items():
        setattr(email_settings, name, value)
    email_settings.save()


@pytest.fixture
def dsn_server():
    server = SmtpTestServer(Rules(), dsn=True)
    server.start()
    yield server
    server.stop()


def test_dsn_is_requested_when_the_server_offers_it(company, invoice, dsn_server):
    use_own_smtp(company, dsn_server.port_number)
    email = email_send(
        SendRequest(document=invoice, to=["compta@cafe-elysee.example", "a+b=c@cafe.example"])
    )
    assert email_deliver(email.pk) == "sent"
    [received] = dsn_server.received
    assert "RET=HDRS" in received.mail_options
    assert f"ENVID={email.public_id.hex}" in received.mail_options
    assert received.rcpt_options == {
        "compta@cafe-elysee.example": [
            "NOTIFY=SUCCESS,FAILURE",
            "ORCPT=rfc822;compta@cafe-elysee.example",
        ],
        "a+b=c@cafe.example": ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;a+2Bb+3Dc@cafe.example"],
    }


def test_no_dsn_options_for_a_server_without_dsn(smtp_server, company, invoice):
    use_own_smtp(company, smtp_server.port_number)
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "sent"
    [received] = smtp_server.received
    assert not any(o.startswith(("RET=", "ENVID=")) for o in received.mail_options)
    assert received.rcpt_options == {"compta@cafe-elysee.example": []}


def test_xtext_encodes_plus_equals_and_non_ascii():
    assert xtext("a+b=c@d.example") == "a+2Bb+3Dc@d.example"
    assert xtext("é") == "+C3+A9"


def session_failure(email) -> str:
    """Settings that cannot work fail no email: it waits for the way's circuit breaker
    (porto.mail.breaker) and its attempt keeps the reason."""
    [attempt] = email.attempts_log.all()
    email.refresh_from_db()
    assert email.held == OutgoingEmail.Held.PAUSED
    assert email.recipients.get().failed_at is None
    return attempt.detail


def test_an_unknown_host_waits_with_a_readable_reason(company, invoice):
    use_own_smtp(company, 587, host="smtp.does-not-exist.invalid")
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "waiting"
    assert session_failure(email) == (
        "Sending through your SMTP server failed: "
        "The SMTP host smtp.does-not-exist.invalid could not be found: check the host name."
    )


def test_starttls_refused_by_a_server_without_it_waits_with_a_readable_reason(
    smtp_server, company, invoice
):
    use_own_smtp(company, smtp_server.port_number, security="starttls")
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "waiting"
    assert session_failure(email).startswith(
        "Sending through your SMTP server failed: 127.0.0.1 does not offer STARTTLS on port"
    )


def test_implicit_tls_against_a_plain_server_waits_with_a_readable_reason(
    smtp_server, company, invoice
):
    use_own_smtp(company, smtp_server.port_number, security="tls")
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "waiting"
    detail = session_failure(email)
    assert detail.startswith(
        "Sending through your SMTP server failed: "
        f"The TLS handshake with 127.0.0.1:{smtp_server.port_number} failed"
    )
    assert detail.endswith("check the port and security setting.")


@pytest.fixture
def silent_server():
    """Accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_hanging_server_times_out_and_is_retried(settings, company, invoice, silent_server):
    settings.PORTO_MAIL_SMTP_TIMEOUT = 0.5
    settings.PORTO_SANDBOX_SMTP_PORT = silent_server
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "retry"
    email.refresh_from_db()
    assert reason_render(email.last_error) == (
        "Sending through your SMTP server failed: "
        f"Could not talk to 127.0.0.1:{silent_server}: Connection unexpectedly closed: timed out"
    )


def test_smtp_config_never_shows_the_password():
    config = SmtpConfig("smtp.example", 587, Security.STARTTLS, "user", "secret-password")
    assert "secret-password" not in repr(config)


def test_an_unknown_host_is_shown_in_the_readers_language(company, invoice):
    use_own_smtp(company, 587, host="smtp.does-not-exist.invalid")
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "waiting"  # the worker speaks English
    [breaker] = TransportBreaker.objects.all()  # what the banner and the timeline show
    with translation.override("nl"):
        assert reason_render(breaker.reason) == (
            "Verzenden via uw SMTP-server is mislukt: "
            "De SMTP-server smtp.does-not-exist.invalid werd niet gevonden: controleer de servernaam."
        )

"""porto.lib.smtp against a real in-process SMTP server."""

import pytest

from porto.lib import smtp
from porto.lib.smtp import Security, SmtpConfig, SmtpFailure, Step
from tests.emailsettings.conftest import PASSWORD, USERNAME, free_port, running_smtp_server


def config_for(server, **fields) -> SmtpConfig:
    values = {
        "host": server.host,
        "port": server.port,
        "security": Security.STARTTLS,
        "username": USERNAME,
        "password": PASSWORD,
        "timeout": 10.0,
    } | fields
    return SmtpConfig(**values)


def test_open_gives_an_encrypted_logged_in_session(starttls_server, trust_test_ca):
    session = smtp.smtp_open(config_for(starttls_server))
    try:
        assert session.sock.version().startswith("TLSv1")
        code, _ = session.noop()
        assert code == 250
        refused = session.sendmail("a@acme.example", ["b@client.example"], b"Subject: x\r\n\r\nx")
        assert refused == {}
    finally:
        session.quit()
    assert len(starttls_server.handler.messages) == 1


def test_ca_file_setting_is_what_makes_the_certificate_trusted(starttls_server, settings):
    settings.PORTO_SMTP_CA_FILE = ""
    with pytest.raises(SmtpFailure) as caught:
        smtp.smtp_open(config_for(starttls_server))
    assert caught.value.step == Step.TLS
    assert caught.value.permanent is True


def test_wrong_password_is_permanent_with_the_code(starttls_server, trust_test_ca):
    with pytest.raises(SmtpFailure) as caught:
        smtp.smtp_open(config_for(starttls_server, password="nope"))
    failure = caught.value
    assert (failure.step, failure.permanent, failure.code) == (Step.LOGIN, True, 535)


def test_missing_starttls_is_permanent(plain_server):
    with pytest.raises(SmtpFailure) as caught:
        smtp.smtp_open(config_for(plain_server))
    assert (caught.value.step, caught.value.permanent) == (Step.TLS, True)


def test_login_on_a_server_without_auth_is_explained(plain_server):
    with pytest.raises(SmtpFailure) as caught:
        smtp.smtp_open(config_for(plain_server, security=Security.NONE))
    assert caught.value.step == Step.LOGIN
    assert "does not accept a login" in caught.value.message


def test_closed_port_is_temporary():
    with pytest.raises(SmtpFailure) as caught:
        smtp.smtp_open(SmtpConfig("127.0.0.1", free_port(), Security.NONE, timeout=5))
    assert (caught.value.step, caught.value.permanent) == (Step.CONNECT, False)


def test_unknown_host_is_permanent():
    with pytest.raises(SmtpFailure) as caught:
        smtp.smtp_open(SmtpConfig("mail.porto.invalid", 587, timeout=5))
    assert (caught.value.step, caught.value.permanent) == (Step.CONNECT, True)


def test_tls_on_a_plain_port_fails_at_tls(plain_server, trust_test_ca):
    with pytest.raises(SmtpFailure) as caught:
        smtp.smtp_open(config_for(plain_server, security=Security.TLS, username=""))
    assert caught.value.step == Step.TLS
    assert f"127.0.0.1:{plain_server.port}" in caught.value.message


def test_no_login_without_username(plain_server):
    session = smtp.smtp_open(config_for(plain_server, security=Security.NONE, username=""))
    try:
        assert session.noop()[0] == 250
    finally:
        session.quit()


def test_refused_recipient_is_reported_per_address(tls_files, trust_test_ca):
    class RefusingHandler:
        messages: list = []

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.endswith(".invalid"):
                return "550 5.1.1 User unknown"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    with running_smtp_server(RefusingHandler(), tls_context=tls_files.server_context()) as server:
        session = smtp.smtp_open(config_for(server, username=""))
        try:
            refused = session.sendmail(
                "a@acme.example", ["ok@client.example", "gone@client.invalid"], b"\r\nx"
            )
        finally:
            session.quit()
    code, reply = refused["gone@client.invalid"]
    assert code == 550
    assert smtp.describe_recipient_refusal(code, reply) == (
        "The recipient's server says the mailbox does not exist (550 5.1.1 User unknown)"
    )


@pytest.mark.parametrize(
    ("code", "reply", "lead"),
    [
        (552, "5.2.2 Mailbox full", "mailbox is full"),
        (451, "4.7.1 Try again later", "try again later"),
        (554, "5.7.1 Rejected by policy", "policy decision"),
        (553, "5.1.3 Bad address syntax", "refused the address"),
    ],
)
def test_recipient_refusals_in_plain_words(code, reply, lead):
    assert lead in smtp.describe_recipient_refusal(code, reply)


def test_config_repr_hides_the_password():
    assert "s3cret" not in repr(SmtpConfig("h", 25, password="s3cret"))


def test_is_permanent_code():
    assert [smtp.is_permanent_code(c) for c in (250, 421, 451, 500, 550, 554)] == [
        False, False, False, True, True, True,
    ]  # fmt: skip

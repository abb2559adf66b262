"""https to the checked address: the connection goes to the address ``ssrf`` resolved while
TLS still checks the certificate against the name in the URL."""

import datetime
import ssl
import threading
from http.server import ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from svix.webhooks import Webhook

from porto.hooks import transport
from porto.hooks.signing import secret_new, signed_headers
from tests.hooks.conftest import Receiver, handler_for


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def https_receiver(request, tmp_path, settings, monkeypatch):
    """An https server whose certificate names ``request.param``; the client trusts it."""
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = True
    cert, key = self_signed(tmp_path, request.param)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    trusted = ssl.create_default_context(cafile=cert)
    monkeypatch.setattr(transport.ssl, "create_default_context", lambda: trusted)
    state.url = f"https://localhost:{server.server_address[1]}/porto-events"
    yield state
    server.shutdown()
    server.server_close()


def post_signed(url: str, secret: str) -> transport.Answer:
    body = '{"type":"webhook.test","timestamp":"2026-12-01T10:00:00+00:00","data":{}}'
    now = int(datetime.datetime.now(datetime.UTC).timestamp())
    return transport.post(url, body, signed_headers([secret], "msg_tls", now, body))


@pytest.mark.parametrize("https_receiver", ["localhost"], indirect=True)
def test_an_https_endpoint_is_reached_at_the_checked_address_with_its_name(https_receiver):
    secret = secret_new()
    answer = post_signed(https_receiver.url, secret)
    assert (answer.status_code, answer.error) == (204, "")
    [post] = https_receiver.received
    assert post.headers["host"].startswith("localhost:")
    Webhook(secret).verify(post.body, post.headers)


@pytest.mark.parametrize("https_receiver", ["someone-else.example"], indirect=True)
def test_a_certificate_for_another_name_is_refused(https_receiver):
    answer = post_signed(https_receiver.url, secret_new())
    assert (answer.status_code, answer.error) == (None, "connection")
    assert "certificate" in answer.detail.lower()
    assert https_receiver.received == []

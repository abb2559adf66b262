import io

import pytest
from pypdf import PdfWriter

from porto.mail import sources
from tests.mail.smtpd import Rules, TestServer


def small_pdf(text: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; the sandbox transport points at it."""
    server = TestServer(Rules())
    server.start()
    settings.PORTO_SANDBOX_SMTP_HOST = "127.0.0.1"
    settings.PORTO_SANDBOX_SMTP_PORT = server.port_number
    settings.PORTO_MAIL_TRANSPORT = "sandbox"
    yield server
    server.stop()

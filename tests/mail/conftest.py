import io
import logging

import pytest
from pypdf import PdfWriter

from porto.documents.models import RenderedFile
from porto.documents.rendering.files import rendered_file_store
from tests.factories import make_client, make_company, make_finalized
from tests.mail.provider_api import api_start
from tests.mail.smtpd import Rules, SmtpTestServer


def small_pdf(text: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's session log


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; the sandbox transport points at it."""
    server = SmtpTestServer(Rules())
    server.start()
    settings.PORTO_SANDBOX_SMTP_HOST = "127.0.0.1"
    settings.PORTO_SANDBOX_SMTP_PORT = server.port_number
    settings.PORTO_MAIL_TRANSPORT = "sandbox"
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def short_smtp_timeouts(settings):
    """Seconds, not the production 20 s and 10 minutes: a lease is never shorter than one
    hand-off (porto.mail.delivery.lease_length), and the tests of leases use short ones."""
    settings.PORTO_MAIL_SMTP_TIMEOUT = 5
    settings.PORTO_MAIL_SMTP_DATA_TIMEOUT = 5


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_einvoice_rules(settings, tmp_path):
    """UBL files are checked against the official rules elsewhere; here none are installed."""
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "no-rules"


@pytest.fixture
def company(db):
    return make_company("Acme BV", slug="acme-bv", email="office@acme.example")


@pytest.fixture
def client_fr(company):
    return make_client(
        company,
        language="fr",
        name="Café Élysée SPRL",
        emails=("compta@cafe-elysee.example",),
    )


@pytest.fixture
def invoice(company, client_fr):
    return make_finalized(company, client_fr, lines=[("2", "150", "S", "21")])


def prestore_pdf(document) -> bytes:
    """A small real PDF stored as the document's rendered file (bulk tests: files pre-rendered)."""
    content = small_pdf(f"{document.number} for {document.client.name}")
    rendered_file_store(document, RenderedFile.Format.PDF, content)
    return content


def ok_from_postmark(to: str, message_id: str, message: str = "OK") -> tuple[int, dict]:
    """Postmark's answer to a message it accepted."""
    return 200, {
        "To": to,
        "SubmittedAt": "2026-11-28T10:00:00.0000000-05:00",
        "MessageID": message_id,
        "ErrorCode": 0,
        "Message": message,
    }


@pytest.fixture
def postmark(settings):
    running = api_start("postmark")
    settings.PORTO_MAIL_TRANSPORT = "provider"
    settings.PORTO_ANYMAIL_BACKEND = running.api.backend
    settings.ANYMAIL = running.api.settings()
    yield running.api
    running.stop()

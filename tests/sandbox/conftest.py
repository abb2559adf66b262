import smtplib

import pytest

from porto.sandbox.smtp_server import SandboxServer
from tests.factories import make_company

MAX_MESSAGE_BYTES = 256 * 1024


@pytest.fixture
def sandbox_server(transactional_db):
    """The real sandbox server, in this process, on a free port."""
    with SandboxServer(
        "127.0.0.1", 0, max_message_bytes=MAX_MESSAGE_BYTES, defer_attempts=2
    ) as server:
        yield server


@pytest.fixture
def smtp(sandbox_server):
    with smtplib.SMTP(sandbox_server.host, sandbox_server.port, timeout=10) as connection:
        yield connection


# The same companies as tests/conftest.py, with the slug given: on this branch Company's
# full_clean() still requires it (the foundation fix makes it optional).
@pytest.fixture
def company(db):
    return make_company("Acme BV", slug="acme-bv")


@pytest.fixture
def other_company(db):
    return make_company("Other Company NV", slug="other-company-nv")

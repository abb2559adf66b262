import contextlib
import os

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from porto.sandbox.smtp_server import SandboxServer
from tests import browser_support
from tests.factories import make_client, make_company, make_user
from tests.services import require_redis
from tests.tasks import pass_backend, rq_redis_flush

# The official e-invoicing rules (validator, einvoice_dir) for every test folder.
pytest_plugins = ["tests.einvoice_rules"]

# Speed is measured by benchmarks, never inside tests: no Hypothesis deadline on this shared,
# noisy machine. Tests may still set their own example counts.
hypothesis_settings.register_profile("porto", deadline=None)
hypothesis_settings.load_profile("porto")


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A page requested in Dutch or French leaves that language active in the thread: every
    test starts in the default language, whatever ran before it."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_task_queue():
    """On the RQ pass every test starts with an empty Redis database, as on the database
    backend, where the task rows go with the test's transaction."""
    if pass_backend() == "rq":
        require_redis()
        rq_redis_flush()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Users are made in almost every test; the production hasher would dominate the run.
    The usual hashers stay listed so passwords hashed before this fixture still check."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *django_settings.PASSWORD_HASHERS,
    ]


@pytest.fixture
def postgresql_only():
    """For tests that need PostgreSQL itself (row locks, SKIP LOCKED, several connections):
    skipped with the reason on SQLite, failed under CI=true (the PostgreSQL pass runs them)."""
    if connection.vendor == "postgresql":
        return
    message = "This test needs PostgreSQL (DATABASE_URL): `make test-postgres` runs it."
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# The factory leaves the slug empty and full_clean() refuses that; the fixtures give one.
@pytest.fixture
def company(db):
    return make_company("Acme BV", slug="acme-bv")


@pytest.fixture
def other_company(db):
    return make_company("Other Company NV", slug="other-company-nv")


@pytest.fixture
def owner(company):
    return make_user(company, role="owner", username="owner")


@pytest.fixture
def teammate(company):
    return make_user(company, role="member", username="teammate")


@pytest.fixture
def outsider(other_company):
    """A user of another company: must get 404 on everything of ``company``."""
    return make_user(other_company, role="owner", username="outsider")


@pytest.fixture
def client_nl(company):
    return make_client(company, language="nl", emails=("boekhouding@klant.example",))


@pytest.fixture
def sandbox(settings, transactional_db):
    """The real sandbox SMTP server, in-process on a free port, as the mail transport."""
    with SandboxServer(
        "127.0.0.1", 0, max_message_bytes=40 * 1024 * 1024, defer_attempts=2
    ) as server:
        settings.PORTO_MAIL_TRANSPORT = "sandbox"
        settings.PORTO_SANDBOX_SMTP_HOST = server.host
        settings.PORTO_SANDBOX_SMTP_PORT = server.port
        yield server


@pytest.fixture
def owner_client(client, owner):
    """Django's test client, logged in as the owner."""
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


# --- Browser tests: one Playwright and one Chromium for the whole session ---


DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def on_postgres_pass() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def uses_database(item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(fixtures & DATABASE_FIXTURES) or item.get_closest_marker("django_db") is not None


def other_backend_only(item) -> bool:
    """Marked ``task_backend("rq", reason=...)`` (or "db"): the test is about that backend
    itself and runs only in the passes that use it."""
    marker = item.get_closest_marker("task_backend")
    if marker is None:
        return False
    if not marker.kwargs.get("reason"):
        raise pytest.UsageError(f"{item.nodeid}: task_backend(...) needs a reason=")
    return marker.args[0] != pass_backend()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    elsewhere = [item for item in items if other_backend_only(item)]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if not other_backend_only(item)]
    if on_postgres_pass():
        # The PostgreSQL pass repeats only what depends on the database engine: a test that
        # never touches the database gives the same answer on both passes.
        engine_free = [item for item in items if not uses_database(item)]
        config.hook.pytest_deselected(items=engine_free)
        items[:] = [item for item in items if uses_database(item)]


@pytest.fixture(scope="session")
def browser():
    # Playwright runs an event loop in this thread; the tests still talk to the ORM.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = browser_support.launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    # The live server shares the test's database connection: a request still running when the
    # next test starts (a PDF preview, say) would use it at the same time.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()


@pytest.fixture
def screenshot(tmp_path):
    def take(page, name: str):
        return browser_support.save_screenshot(page, tmp_path, name)

    return take

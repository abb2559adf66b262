"""What every hostile-input path needs: files kept in a temporary folder, no e-invoicing rules
(the commands' tests bring their own), no worker (nothing is delivered by itself: a test that
finds a queued email has caught something sent by mistake), and a finalized invoice with its
PDF already stored for the pop-up and the API."""

import pytest

from tests.factories import make_client, make_finalized
from tests.web.conftest import prestore_pdf


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_einvoice_rules(settings, tmp_path):
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "no-rules"


@pytest.fixture(autouse=True)
def no_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def client_fr(company):
    return make_client(
        company, language="fr", name="Café Élysée SPRL", emails=("compta@cafe-elysee.example",)
    )


@pytest.fixture
def invoice(company, client_fr):
    document = make_finalized(company, client_fr, lines=[("2", "150", "S", "21")])
    prestore_pdf(document)
    return document

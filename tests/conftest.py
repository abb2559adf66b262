import pytest

from tests.factories import make_client, make_company, make_user


@pytest.fixture
def company(db):
    return make_company("Acme BV")


@pytest.fixture
def other_company(db):
    return make_company("Other Company NV")


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
def owner_client(client, owner):
    """Django's test client, logged in as the owner."""
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client

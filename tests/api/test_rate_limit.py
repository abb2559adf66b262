"""A rate limit per token: past it, 429 rate_limited with Retry-After; other tokens go on."""

import pytest

from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


@pytest.fixture(autouse=True)
def three_a_minute(settings):
    settings.PORTO_API_RATE = "3/minute"


def test_the_fourth_request_in_a_minute_is_429_with_retry_after(api):
    assert [api.get(CLIENTS).status_code for _ in range(3)] == [200, 200, 200]
    response = api.get(CLIENTS)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    error = error_of(response)
    assert error["code"] == "rate_limited"
    assert error["message"] == (
        f"Too many requests with this token: wait {response['Retry-After']} seconds, "
        "then try again."
    )


def test_the_limit_counts_per_token(api, outsider_api):
    for _ in range(3):
        api.get(CLIENTS)
    assert api.get(CLIENTS).status_code == 429
    assert outsider_api.get(CLIENTS).status_code == 200

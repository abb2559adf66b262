"""The two stores of the sending limits, for tests: the database (per test, rolled back) and
a real Redis (its own database number and a key prefix per test, deleted afterwards). With
CI=true a missing Redis fails the test."""

import uuid

from porto.mail.limits.stores import DatabaseStore, RedisStore
from tests.services import REDIS_URL, require_redis

STORES = ["db", "redis"]
LIMITS_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/14"


class TestRedisStore(RedisStore):
    def clean(self) -> None:
        keys = list(self.client.scan_iter(match=self.prefix + "*"))
        if keys:
            self.client.delete(*keys)
        self.client.close()


def redis_store_new() -> TestRedisStore:
    require_redis()
    return TestRedisStore(LIMITS_REDIS_URL, prefix=f"test:limits:{uuid.uuid4().hex}:")


def both_stores(request):
    """Each test twice: once with the database store, once with Redis. A test module makes
    it its fixture: ``store = pytest.fixture(params=STORES)(both_stores)``."""
    if request.param == "db":
        request.getfixturevalue("db")
        yield DatabaseStore()
        return
    made = redis_store_new()
    yield made
    made.clean()

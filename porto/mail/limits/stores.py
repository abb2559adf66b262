"""The two stores of the sending limits' buckets, with the same semantics: both run
``bucket.bucket_take`` atomically for one key, in one round trip per key and batch.

- ``DatabaseStore`` (the embedded default): a ``SendingLimit`` row per key, locked with
  ``select_for_update`` (SQLite: the IMMEDIATE transaction holds the write lock); two
  statements per key, three more the first time a key is seen.
- ``RedisStore`` (with ``PORTO_TASK_BACKEND=rq``): a hash per key, changed by one Lua script
  (``redis.lua``), so every worker on every machine shares it.

``PORTO_MAIL_LIMITS_STORE`` (``db`` or ``redis``) chooses; by default the task backend does.
Time is the caller's clock (epoch seconds): the workers' clocks must agree (NTP).
"""

import functools
from pathlib import Path
from typing import Protocol

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from porto.mail.limits.bucket import (
    EPSILON,
    BucketState,
    LaneAnswer,
    LaneAsk,
    bucket_new,
    bucket_take,
)
from porto.mail.limits.rates import Rate
from porto.mail.models import SendingLimit

REDIS_PREFIX = "porto:limits:"
LUA = (Path(__file__).parent / "redis.lua").read_text()


class StoreUnavailable(Exception):
    """The store could not be asked: the emails wait a little and ask again."""


class LimitStore(Protocol):
    def take(
        self, key: str, rate: Rate, asks: list[LaneAsk], now: float
    ) -> dict[str, LaneAnswer]: ...


class DatabaseStore:
    def take(self, key: str, rate: Rate, asks: list[LaneAsk], now: float) -> dict[str, LaneAnswer]:
        with transaction.atomic():
            row = SendingLimit.objects.select_for_update().filter(key=key).first()
            if row is None:
                row = self._created(key, rate, now)
            state = BucketState(row.tokens, row.updated, dict(row.lanes))
            answers = bucket_take(state, rate, asks, now)
            SendingLimit.objects.filter(pk=row.pk).update(
                tokens=state.tokens, updated=state.updated, lanes=state.lanes
            )
        return answers

    @staticmethod
    def _created(key: str, rate: Rate, now: float) -> SendingLimit:
        """The key's row, made full; another worker making it at the same time is no error."""
        new = bucket_new(rate, now)
        SendingLimit.objects.bulk_create(
            [SendingLimit(key=key, tokens=new.tokens, updated=new.updated, lanes={})],
            ignore_conflicts=True,
        )
        return SendingLimit.objects.select_for_update().get(key=key)


class RedisStore:
    def __init__(self, url: str, prefix: str = REDIS_PREFIX) -> None:
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.script = self.client.register_script(LUA)

    def take(self, key: str, rate: Rate, asks: list[LaneAsk], now: float) -> dict[str, LaneAnswer]:
        args: list[str | int] = [repr(now), repr(rate.refill), rate.burst, repr(EPSILON), len(asks)]
        for ask in asks:
            args += [ask.lane, ask.due, ask.fresh]
        try:
            raw = self.script(keys=[self.prefix + key], args=args)
        except (redis.RedisError, OSError) as error:
            raise StoreUnavailable(str(error)) from error
        return {
            ask.lane: LaneAnswer(int(due), int(fresh), int(retry), *map(float, moments))
            for ask, (due, fresh, retry, *moments) in zip(asks, raw, strict=True)
        }


def store_kind() -> str:
    kind = getattr(settings, "PORTO_MAIL_LIMITS_STORE", "") or (
        "redis" if settings.PORTO_TASK_BACKEND == "rq" else "db"
    )
    if kind not in {"db", "redis"}:
        raise ImproperlyConfigured(
            f"PORTO_MAIL_LIMITS_STORE={kind!r} is not known: use 'db' or 'redis'."
        )
    return kind


def limits_store() -> LimitStore:
    """The store the configuration chooses (one Redis client per process and URL)."""
    if store_kind() == "redis":
        return redis_store(settings.REDIS_URL)
    return DatabaseStore()


@functools.cache
def redis_store(url: str) -> RedisStore:
    return RedisStore(url)

"""Is a backing service reachable? `python -m tests.services postgres URL` exits 0 if so;
`python -m tests.services flush-redis URL` empties a test Redis database (never database 0).

Tests that need PostgreSQL or Redis use ``require_*``: with CI=true a missing service is a
failure, elsewhere a skip with the reason."""

import os
import socket
import sys
from urllib.parse import urlparse

import pytest


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def require(service: str, url: str, default_port: int) -> None:
    if reachable(url, default_port):
        return
    message = f"{service} is not reachable at {url}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}: CI must have it.")
    pytest.skip(f"{message}; start it to run this test.")


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    require("Redis", REDIS_URL, 6379)


def redis_flush(url: str) -> None:
    """Empty the Redis database of ``url``, which must be a test's own: database 0 is where a
    deployment keeps its queues by default, so it is refused."""
    import redis

    if urlparse(url).path.strip("/") in ("", "0"):
        raise ValueError(
            f"{url} is Redis database 0, which the tests never empty: "
            "give them a database of their own, e.g. redis://127.0.0.1:6379/12."
        )
    redis.Redis.from_url(url).flushdb()


if __name__ == "__main__":
    command, url = sys.argv[1], sys.argv[2]
    if command == "flush-redis":
        try:
            redis_flush(url)
        except ValueError as refused:
            sys.exit(str(refused))
        sys.exit(0)
    sys.exit(0 if reachable(url, {"postgres": 5432, "redis": 6379}[command]) else 1)

"""Is a backing service reachable? `python -m tests.services postgres URL` exits 0 if so.

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


if __name__ == "__main__":
    name, url = sys.argv[1], sys.argv[2]
    sys.exit(0 if reachable(url, {"postgres": 5432, "redis": 6379}[name]) else 1)

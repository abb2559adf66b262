"""A fresh PostgreSQL database for one benchmark, at PORTO_BENCH_POSTGRES_URL's server
(default ``postgres://postgres@127.0.0.1:5432/postgres``): created before, dropped after, so
no run measures another's leftovers. Needs no Django."""

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

ADMIN_URL = os.environ.get(
    "PORTO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


REPOSITORY = Path(__file__).resolve().parents[1]


def child_figures(module: str, runs: int, timeout: int):
    """Run ``python -m <module> postgres <runs>`` (a module's PostgreSQL measurements, in a
    process of their own) and return the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, "-m", module, "postgres", str(runs)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"The PostgreSQL run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def reachable() -> bool:
    """Whether a server answers at ADMIN_URL (within 3 seconds)."""
    import psycopg

    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextlib.contextmanager
def fresh_database(prefix: str = "porto_bench") -> Iterator[str]:
    """The URL of a new, empty database on ADMIN_URL's server, dropped on leaving (its
    connections closed by force: a server process may still hold one)."""
    import psycopg

    database = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
    try:
        yield urlparse(ADMIN_URL)._replace(path=f"/{database}").geturl()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')  # type: ignore[arg-type]

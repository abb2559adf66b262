"""python -m bench [MODULE ...] [--runs N] [--list]: run the benchmarks and write
bench/results/latest.json.

Each module runs in its own process (``--module``, internal) with the production settings:
PORTO_DEBUG=0, a secret key and a Fernet key generated for the run, and a fresh temporary var
directory (its SQLite database, given as DATABASE_URL, its media and its collected static
files), so no module measures another's leftovers. The servers are asked over plain HTTP on
loopback, as behind a proxy that ends TLS (PORTO_SSL_REDIRECT=0). The
parent gathers every module's results, judges each keyed figure against its target
(``bench/latest.py``), prints the table and writes the file. A module that crashes is recorded
as such; its keys stay "not measured" and the exit status is 1.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
LATEST = RESULTS_DIR / "latest.json"
REPOSITORY = BENCH_DIR.parent
# The PostgreSQL server whose version the environment records (modules that use PostgreSQL
# connect to it on their own).
POSTGRES_URL = os.environ.get(
    "PORTO_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


def discover() -> list[str]:
    return sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))


def production_environment(workdir: Path) -> dict[str, str]:
    """The environment of one module's process: production settings on a fresh var dir."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    return env | {
        # Production needs a DATABASE_URL: the run's own SQLite file (a module that measures
        # PostgreSQL creates its own database there).
        "DATABASE_URL": f"sqlite:///{workdir / 'porto.sqlite3'}",
        # The servers are asked over plain HTTP on loopback, as behind a proxy that ends TLS:
        # no redirect to https (every other production setting stays).
        "PORTO_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "porto.settings",
        "PORTO_DEBUG": "0",
        "PORTO_SECRET_KEY": secrets.token_urlsafe(50),
        "PORTO_FERNET_KEYS": Fernet.generate_key().decode("ascii"),
        "PORTO_VAR_DIR": str(workdir),
        "PORTO_MEDIA_ROOT": str(workdir / "media"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")])),
    }


def run_module(name: str, runs: int | None) -> tuple[list[dict] | dict, float]:
    """The raw results of one module, run in its own process ({"error": ...} when it fails),
    and the seconds it took."""
    with tempfile.TemporaryDirectory(prefix=f"porto-{name}-") as folder:
        workdir = Path(folder)
        out = workdir / "results.json"
        command = [sys.executable, "-m", "bench", "--module", name, "--out", str(out)]
        if runs is not None:
            command += ["--runs", str(runs)]
        started = time.monotonic()
        finished = subprocess.run(
            command, cwd=REPOSITORY, env=production_environment(workdir), check=False
        )
        seconds = round(time.monotonic() - started, 1)
        if finished.returncode != 0 or not out.is_file():
            print(f"{name} FAILED (exit status {finished.returncode}) after {seconds} s")
            return {"error": f"exit status {finished.returncode}"}, seconds
        print(f"{name}: {seconds} s", flush=True)
        return json.loads(out.read_text()), seconds


def module_main(name: str, out: Path, runs: int | None) -> None:
    """Inside the module's process: set Django up, run the module, write its results."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # Production serves collected, content-hashed static files (the pages name them).
    call_command("collectstatic", interactive=False, verbosity=0)
    module = importlib.import_module(f"bench.{name}")
    print(f"{name} ...", flush=True)
    results = module.run() if runs is None else module.run(runs=runs)
    for result in results:
        print(f"  {result.name}: median {result.median_ms} ms ({result.runs} runs)", flush=True)
    out.write_text(json.dumps([result.as_dict() for result in results], indent=2))


def environment() -> dict:
    return {
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "django": version("django"),
        "databases": {"sqlite": sqlite3.sqlite_version, "postgresql": postgres_version()},
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpus": os.cpu_count(),
    }


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, cwd=REPOSITORY, check=False
    ).stdout.strip()


def postgres_version() -> str | None:
    """The server version at PORTO_BENCH_POSTGRES_URL, None when no server answers."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            return str(connection.execute("SHOW server_version").fetchone()[0])
    except psycopg.Error:
        return None


def print_targets() -> None:
    from bench.targets import TARGETS

    width = max(len(target.key) for target in TARGETS)
    for target in TARGETS:
        print(f"{target.key.ljust(width)}  {target.describe():<28}  {target.what}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("modules", nargs="*", help=f"default: all ({', '.join(discover())})")
    parser.add_argument(
        "--runs", type=int, help="timed runs per benchmark (default: each module's own)"
    )
    parser.add_argument("--list", action="store_true", help="print every key and its target")
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.list:
        print_targets()
        return 0
    if args.module:
        module_main(args.module, args.out, args.runs)
        return 0
    unknown = sorted(set(args.modules) - set(discover()))
    if unknown:
        parser.error(f"no such benchmark module: {', '.join(unknown)} (see bench/bench_*.py)")
    return run_all(args.modules or discover(), args.runs)


def run_all(modules: list[str], runs: int | None) -> int:
    from bench import latest

    env = environment()
    results, seconds = {}, {}
    for name in modules:
        results[name], seconds[name] = run_module(name, runs)
    env |= {"runs": runs or "module defaults", "module_seconds": seconds}
    raw = {name: value for name, value in results.items() if isinstance(value, list)}
    entries = latest.figure_entries(latest.values_by_key(raw))
    RESULTS_DIR.mkdir(exist_ok=True)
    LATEST.write_text(json.dumps(latest.payload(env, entries, results), indent=2) + "\n")
    print()
    print(latest.table(entries))
    total = round(sum(seconds.values()))
    print(f"\n{total} s in all; written to {LATEST.relative_to(REPOSITORY)}")
    return 1 if len(raw) < len(results) else 0


if __name__ == "__main__":
    sys.exit(main())

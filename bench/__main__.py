"""python -m bench [MODULE ...] [--runs N]: run the benchmarks, write bench/results/."""

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
REPOSITORY = BENCH_DIR.parent


def discover() -> list[str]:
    return sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))


def setup_django(workdir: Path) -> None:
    os.environ["PORTO_VAR_DIR"] = str(workdir)
    os.environ["PORTO_MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "porto.settings")
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(REPOSITORY))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def environment() -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPOSITORY
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def write(module: str, results: list, env: dict) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    payload = {"module": module, "environment": env, "results": [r.as_dict() for r in results]}
    (RESULTS_DIR / f"{module}.json").write_text(json.dumps(payload, indent=2) + "\n")


def summary_markdown() -> str:
    lines = [
        "# Benchmark results",
        "",
        "Median of the runs, in milliseconds. Written by `make bench`.",
        "",
    ]
    for path in sorted(RESULTS_DIR.glob("bench_*.json")):
        data = json.loads(path.read_text())
        env = data["environment"]
        lines += [
            f"## {data['module']}",
            "",
            f"{env['date']}, commit {env['commit']}, Python {env['python']}, {env['cpus']} CPUs",
            "",
            "| benchmark | median ms | min | p90 | max | runs | notes |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in data["results"]:
            notes = ", ".join(f"{k}: {v}" for k, v in r["notes"].items())
            lines.append(
                f"| {r['name']} | {r['median_ms']} | {r['min_ms']} | {r['p90_ms']} | "
                f"{r['max_ms']} | {r['runs']} | {notes} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("modules", nargs="*", help=f"default: all ({', '.join(discover())})")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per benchmark (>= 20)")
    args = parser.parse_args()
    modules = args.modules or discover()
    with tempfile.TemporaryDirectory(prefix="porto-bench-") as workdir:
        setup_django(Path(workdir))
        env = environment()
        for name in modules:
            module = importlib.import_module(f"bench.{name}")
            print(f"{name} ...", flush=True)
            results = module.run(runs=args.runs)
            for result in results:
                print(f"  {result.name}: median {result.median_ms} ms ({result.runs} runs)")
            write(name, results, env)
    (RESULTS_DIR / "README.md").write_text(summary_markdown())
    print(f"Results in {RESULTS_DIR.relative_to(REPOSITORY)}/")


if __name__ == "__main__":
    main()

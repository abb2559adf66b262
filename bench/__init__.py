"""Benchmarks: `python -m bench` runs every bench/bench_*.py module, each in its own process on
a fresh temporary var directory with the production settings, and writes
bench/results/latest.json (see bench/__main__.py and docs/performance.md).

A module defines ``run(runs: int = ...) -> list[Result]`` and does its own setup; ``measure``
times a callable and keeps the median (and spread) of its runs. The module's default number of
runs is what ``make bench`` uses, so that the whole run fits in its time budget.

A result can carry ``figures``: the per-run values of the keyed figures of
``bench/results/latest.json`` (``bench/targets.py`` lists every key and its target), for example
``{"bulk_send.ratio_to_floor": [0.61, 0.58, ...]}``; the harness summarises each as median,
min, max and runs (``summarize``) and judges the median against the key's target.
"""

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Result:
    name: str
    median_ms: float
    runs: int
    min_ms: float
    p90_ms: float
    max_ms: float
    notes: dict = field(default_factory=dict)
    figures: dict[str, list[float]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def timed_runs(action: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    """Milliseconds of each of ``runs`` calls of ``action``, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def timed_once(action: Callable[[], object]) -> tuple[float, float]:
    """Milliseconds of one call of ``action``: wall-clock, and CPU time of this process. On a
    shared machine the wall-clock time includes waiting for a CPU; the CPU time does not."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def percentile(ordered: list[float], share: float) -> float:
    """The percentile of sorted values by the nearest rank: the smallest value that at least
    ``share`` of them do not exceed (``share=0.95``: the 19th of 20, the 57th of 60)."""
    return ordered[max(math.ceil(len(ordered) * share) - 1, 0)]


def result_of(name: str, timings: list[float], **notes) -> Result:
    ordered = sorted(timings)
    return Result(
        name=name,
        median_ms=round(statistics.median(ordered), 2),
        runs=len(ordered),
        min_ms=round(ordered[0], 2),
        p90_ms=round(percentile(ordered, 0.9), 2),
        max_ms=round(ordered[-1], 2),
        notes=notes,
    )


def measure(
    name: str, action: Callable[[], object], runs: int = 20, warmup: int = 1, **notes
) -> Result:
    return result_of(name, timed_runs(action, runs, warmup), **notes)


def summarize(values: list[float]) -> dict:
    """The summary latest.json keeps of one figure's per-run values."""
    if not values:
        return {"median": None, "min": None, "max": None, "runs": 0}
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "runs": len(values),
    }

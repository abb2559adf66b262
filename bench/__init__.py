"""Benchmarks: `python -m bench` runs every bench/bench_*.py module and writes the results to
bench/results/ (one JSON file per module and a markdown summary).

A module defines ``run(runs: int) -> list[Result]`` and does its own setup; ``measure`` times a
callable and keeps the median (and spread) of its runs. Django is set up once, on a temporary
database and media folder, before the modules run.

A result can carry ``figures``: the per-run values of the keyed figures of
``bench/results/latest.json`` (``bench/targets.py`` lists every key and its target), for example
``{"bulk_send.ratio_to_floor": [0.61, 0.58, ...]}``; each is summarised as median, min, max and
runs.
"""

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


def measure(
    name: str, action: Callable[[], object], runs: int = 20, warmup: int = 1, **notes
) -> Result:
    for _ in range(warmup):
        action()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return Result(
        name=name,
        median_ms=round(statistics.median(timings), 2),
        runs=runs,
        min_ms=round(timings[0], 2),
        p90_ms=round(timings[min(len(timings) - 1, int(len(timings) * 0.9))], 2),
        max_ms=round(timings[-1], 2),
        notes=notes,
    )

"""bench/results/latest.json and the table `make bench` prints: pure functions from the raw
results of the modules to the figures judged against their targets (``bench/targets.py``).

Every key of ``TARGETS`` is in the file and the table, measured or not: a key no module
reported is "not measured", never silently absent. A key a module reports beyond the fixed
ones (a baseline, an extra ratio) is kept as "reported"."""

from bench import summarize
from bench.targets import TARGETS, TARGETS_BY_KEY, Target

MET, MISSED, REPORTED, NOT_MEASURED = "met", "MISSED", "reported", "not measured"


def values_by_key(results: dict[str, list[dict]]) -> dict[str, list[float]]:
    """The per-run values of every key, gathered over every result of every module (a key
    reported twice keeps the values of both)."""
    gathered: dict[str, list[float]] = {}
    for module_results in results.values():
        for result in module_results:
            for key, values in (result.get("figures") or {}).items():
                gathered.setdefault(key, []).extend(float(value) for value in values)
    return gathered


def figure_entries(values: dict[str, list[float]]) -> dict[str, dict]:
    """{key: {median, min, max, runs, target, met, unit, status}} for the fixed keys in
    their order, then the extra keys in alphabetical order."""
    summaries = {key: summarize(values.get(key, [])) for key in _keys(values)}
    medians = {key: summary["median"] for key, summary in summaries.items()}
    return {key: _entry(key, summaries[key], medians) for key in summaries}


def _keys(values: dict[str, list[float]]) -> list[str]:
    fixed = [target.key for target in TARGETS]
    return fixed + sorted(key for key in values if key not in TARGETS_BY_KEY)


def _entry(key: str, summary: dict, medians: dict[str, float | None]) -> dict:
    target = TARGETS_BY_KEY.get(key) or Target(key, "reported by a module", unit=unit_of(key))
    met = target.met(summary["median"], medians)
    return summary | {
        "target": target.as_json(),
        "met": met,
        "unit": target.unit,
        "status": status_of(summary["runs"], met),
        "what": target.what,
    }


def unit_of(key: str) -> str:
    """The unit of a key beyond the fixed ones, read from its name as the fixed keys are
    named: ``pdf.minimal_page_ms_p50`` is in ms, ``pdf.one_page_ratio_to_minimal`` a ratio."""
    name = key.rsplit(".", 1)[-1]
    for marker, unit in (("_ms", "ms"), ("ratio", "ratio"), ("_mb", "MB"), ("seconds", "s")):
        if marker in name:
            return unit
    return ""


def status_of(runs: int, met: bool | None) -> str:
    if runs == 0:
        return NOT_MEASURED
    if met is None:
        return REPORTED
    return MET if met else MISSED


def payload(environment: dict, entries: dict[str, dict], results: dict[str, list]) -> dict:
    return {"environment": environment, "figures": entries, "results": results}


def table(entries: dict[str, dict]) -> str:
    """Every key: median, min-max, runs, target and its verdict, as aligned text."""
    rows = [("key", "median", "min-max", "runs", "target", "verdict")]
    for key, entry in entries.items():
        target = TARGETS_BY_KEY.get(key)
        rows.append(
            (
                key,
                _number(entry["median"], entry["unit"]),
                _range(entry),
                str(entry["runs"]),
                target.describe() if target else "reported",
                entry["status"],
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    suffix = f" {unit}" if unit and unit != "ratio" else ""
    return f"{value:g}{suffix}"


def _range(entry: dict) -> str:
    if entry["runs"] == 0:
        return "—"
    return f"{entry['min']:g}-{entry['max']:g}"

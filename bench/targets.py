"""The keyed figures of ``bench/results/latest.json`` and their targets (issue: month-end at
machine speed). A module reports a figure through ``Result.figures[key]`` (its per-run values);
a ratio is always measured against its floor or baseline in the same run."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    key: str
    what: str
    at_least: float | None = None  # the median must be >= this
    at_most: float | None = None  # the median must be <= this
    # "equal": the figure must equal the one named here; None: reported only
    equal_to: str | None = None
    unit: str = ""

    @property
    def has_target(self) -> bool:
        return self.at_least is not None or self.at_most is not None or bool(self.equal_to)

    def met(self, median: float | None, medians: dict[str, float | None]) -> bool | None:
        """Whether ``median`` meets the target; None when there is nothing to judge (no
        target, no figure, or no figure for the key it must equal). ``medians`` holds the
        medians of every key of the same run."""
        if median is None or not self.has_target:
            return None
        if self.equal_to:
            other = medians.get(self.equal_to)
            return None if other is None else median == other
        if self.at_least is not None and median < self.at_least:
            return False
        return not (self.at_most is not None and median > self.at_most)

    def describe(self) -> str:
        """The target as the table prints it: ">= 0.5", "<= 120 ms", "= overview.x"."""
        unit = f" {self.unit}" if self.unit and self.unit != "ratio" else ""
        if self.equal_to:
            return f"= {self.equal_to}"
        bounds = []
        if self.at_least is not None:
            bounds.append(f">= {self.at_least:g}{unit}")
        if self.at_most is not None:
            bounds.append(f"<= {self.at_most:g}{unit}")
        return ", ".join(bounds) or "reported"

    def as_json(self) -> dict | None:
        bounds = {"at_least": self.at_least, "at_most": self.at_most, "equal_to": self.equal_to}
        present = {name: value for name, value in bounds.items() if value is not None}
        return present or None


TARGETS = [
    Target(
        "bulk_send.ratio_to_floor",
        "500 pre-rendered invoices, enqueue → worker → SMTP sink, 1 worker (SQLite), vs a plain "
        "smtplib loop over one connection to the same sink",
        at_least=0.5,
        unit="ratio",
    ),
    Target(
        "bulk_send_postgres.ratio_to_floor",
        "the same on PostgreSQL with 2 workers",
        at_least=0.5,
        unit="ratio",
    ),
    Target(
        "bulk_enqueue.seconds",
        "one bulk-send request for 1,000 documents returns",
        at_most=1.0,
        unit="s",
    ),
    Target(
        "events.projection_per_s",
        "provider events projected into statuses by one worker",
        at_least=1000,
        unit="events/s",
    ),
    Target(
        "webhook.ratio_to_bare",
        "webhook posts on the production server (PostgreSQL) vs a bare view on the same server",
        at_least=0.5,
        unit="ratio",
    ),
    Target("pixel.ratio_to_bare", "pixel requests, same setup", at_least=0.7, unit="ratio"),
    Target(
        "overview.p95_ms",
        "worst p95 over first page, each status filter and a search, 10,000 documents / "
        "30,000 emails",
        at_most=150,
        unit="ms",
    ),
    Target("overview.queries_10_rows", "SQL queries for a page of 10 rows", unit="queries"),
    Target(
        "overview.queries_50_rows",
        "SQL queries for a page of 50 rows",
        equal_to="overview.queries_10_rows",
        unit="queries",
    ),
    Target("pdf.one_page_ms_p50", "one-page invoice", at_most=120, unit="ms"),
    Target("ubl.generate_ms_p50", "UBL generation", at_most=5, unit="ms"),
    Target("ubl.validate_warm_ms_p50", "warm three-layer validation", at_most=20, unit="ms"),
    Target("memory.worker_peak_mb", "peak RSS of a worker during the bulk send", unit="MB"),
]

TARGETS_BY_KEY = {target.key: target for target in TARGETS}

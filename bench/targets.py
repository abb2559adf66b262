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


TARGETS = [
    Target(
        "bulk_send.ratio_to_floor",
        "500 pre-rendered invoices, enqueue → worker → SMTP sink, 1 worker (SQLite), vs a plain "
        "smtplib loop over one connection to the same sink",
        at_least=0.5,
    ),
    Target(
        "bulk_send_postgres.ratio_to_floor",
        "the same on PostgreSQL with 2 workers",
        at_least=0.5,
    ),
    Target(
        "bulk_enqueue.seconds", "one bulk-send request for 1,000 documents returns", at_most=1.0
    ),
    Target(
        "events.projection_per_s",
        "provider events projected into statuses by one worker",
        at_least=1000,
    ),
    Target(
        "webhook.ratio_to_bare",
        "webhook posts on the production server vs a bare view on the same server",
        at_least=0.5,
    ),
    Target("pixel.ratio_to_bare", "pixel requests, same setup", at_least=0.7),
    Target(
        "overview.p95_ms",
        "worst p95 over first page, each status filter and a search, 10,000 documents / "
        "30,000 emails",
        at_most=150,
    ),
    Target("overview.queries_10_rows", "SQL queries for a page of 10 rows"),
    Target(
        "overview.queries_50_rows",
        "SQL queries for a page of 50 rows",
        equal_to="overview.queries_10_rows",
    ),
    Target("pdf.one_page_ms_p50", "one-page invoice", at_most=120),
    Target("ubl.generate_ms_p50", "UBL generation", at_most=5),
    Target("ubl.validate_warm_ms_p50", "warm three-layer validation", at_most=20),
    Target("memory.worker_peak_mb", "peak RSS of a worker during the bulk send"),
]

"""The benchmark harness: how per-run values become the figures of bench/results/latest.json
and the table `make bench` prints. The benchmarks themselves run in `make bench`, not here."""

import json
import re
import subprocess
import sys

from cryptography.fernet import Fernet

from bench import __main__ as harness
from bench import summarize
from bench.latest import figure_entries, payload, table, values_by_key
from bench.targets import TARGETS, TARGETS_BY_KEY, Target


def test_summarize_keeps_median_min_max_and_runs_of_the_per_run_values():
    assert summarize([12.0, 3.0, 7.0, 100.0]) == {
        "median": 9.5,
        "min": 3.0,
        "max": 100.0,
        "runs": 4,
    }


def test_summarize_of_no_values_has_no_median_and_zero_runs():
    assert summarize([]) == {"median": None, "min": None, "max": None, "runs": 0}


def test_at_least_is_met_at_and_above_the_floor_and_missed_below_it():
    target = Target("x.ratio", "a ratio", at_least=0.5)
    assert [target.met(value, {}) for value in (0.49, 0.5, 0.8)] == [False, True, True]


def test_at_most_is_met_at_and_below_the_ceiling_and_missed_above_it():
    target = Target("x.ms", "a time", at_most=120)
    assert [target.met(value, {}) for value in (119.9, 120, 120.1)] == [True, True, False]


def test_equal_to_compares_with_the_other_keys_median_of_the_same_run():
    target = Target("q.50", "queries", equal_to="q.10")
    assert target.met(9, {"q.10": 9}) is True
    assert target.met(11, {"q.10": 9}) is False


def test_equal_to_cannot_be_judged_when_the_other_key_was_not_measured():
    target = Target("q.50", "queries", equal_to="q.10")
    assert target.met(9, {"q.10": None}) is None


def test_a_key_without_a_target_is_reported_not_judged():
    entries = figure_entries({"memory.worker_peak_mb": [80.0, 90.0, 85.0]})
    assert entries["memory.worker_peak_mb"]["met"] is None
    assert entries["memory.worker_peak_mb"]["status"] == "reported"


def test_figures_are_judged_on_the_median_of_their_runs():
    # One slow run out of three does not miss the target; a slow median does.
    met = figure_entries({"pdf.one_page_ms_p50": [100.0, 110.0, 900.0]})
    missed = figure_entries({"pdf.one_page_ms_p50": [100.0, 130.0, 140.0]})
    assert (met["pdf.one_page_ms_p50"]["status"], met["pdf.one_page_ms_p50"]["met"]) == (
        "met",
        True,
    )
    assert (missed["pdf.one_page_ms_p50"]["status"], missed["pdf.one_page_ms_p50"]["met"]) == (
        "MISSED",
        False,
    )


def test_a_key_no_module_reported_is_listed_as_not_measured():
    entries = figure_entries({"pdf.one_page_ms_p50": [100.0]})
    assert list(entries) == [target.key for target in TARGETS]
    unmeasured = entries["bulk_send.ratio_to_floor"]
    assert (unmeasured["status"], unmeasured["runs"], unmeasured["median"]) == (
        "not measured",
        0,
        None,
    )
    row = next(line for line in table(entries).splitlines() if "bulk_send.ratio" in line)
    assert row.rstrip().endswith("not measured")


def test_the_table_has_one_row_per_key_with_median_range_runs_target_and_verdict():
    entries = figure_entries(
        {"ubl.generate_ms_p50": [2.0, 3.0, 4.0], "overview.queries_10_rows": [7]}
    )
    lines = table(entries).splitlines()
    assert len(lines) == 2 + len(TARGETS)
    ubl_row = next(line for line in lines if line.startswith("ubl.generate_ms_p50"))
    assert re.split(r"\s{2,}", ubl_row) == [
        "ubl.generate_ms_p50",
        "3 ms",
        "2-4",
        "3",
        "<= 5 ms",
        "met",
    ]
    equal_row = next(line for line in lines if line.startswith("overview.queries_50_rows"))
    assert "= overview.queries_10_rows" in equal_row


def test_values_of_a_key_are_gathered_over_every_result_of_every_module():
    results = {
        "bench_a": [{"name": "one", "figures": {"k.x": [1, 2]}}, {"name": "two", "figures": {}}],
        "bench_b": [{"name": "three", "figures": {"k.x": [3], "k.y": [5]}}],
    }
    assert values_by_key(results) == {"k.x": [1.0, 2.0, 3.0], "k.y": [5.0]}


def test_a_key_beyond_the_fixed_ones_is_kept_after_them_as_reported():
    entries = figure_entries({"pdf.one_page_ratio_to_baseline": [8.0, 9.0]})
    assert list(entries)[-1] == "pdf.one_page_ratio_to_baseline"
    assert entries["pdf.one_page_ratio_to_baseline"]["status"] == "reported"


def test_the_unit_of_a_key_beyond_the_fixed_ones_is_read_from_its_name():
    entries = figure_entries(
        {"pdf.minimal_page_ms_p50": [9.0], "x.ratio_to_bare": [0.9], "x.y": [1]}
    )
    assert [
        entries[key]["unit"] for key in ("pdf.minimal_page_ms_p50", "x.ratio_to_bare", "x.y")
    ] == [
        "ms",
        "ratio",
        "",
    ]


def test_latest_json_has_environment_figures_with_every_field_and_raw_results():
    results = {"bench_documents": [{"name": "pdf", "figures": {"pdf.one_page_ms_p50": [90.0]}}]}
    env = harness.environment()
    written = json.loads(json.dumps(payload(env, figure_entries(values_by_key(results)), results)))
    assert set(written) == {"environment", "figures", "results"}
    assert {"commit", "date", "python", "django", "databases", "machine", "cpus"} <= set(
        written["environment"]
    )
    assert re.fullmatch(r"[0-9a-f]{40}", written["environment"]["commit"])
    assert written["environment"]["databases"]["sqlite"].count(".") == 2
    for key, figure in written["figures"].items():
        assert {"median", "min", "max", "runs", "target", "met", "unit"} <= set(figure), key
    pdf = written["figures"]["pdf.one_page_ms_p50"]
    assert (pdf["median"], pdf["target"], pdf["met"], pdf["unit"]) == (
        90.0,
        {"at_most": 120},
        True,
        "ms",
    )
    assert written["results"] == results


def test_every_key_has_a_unit_for_the_table():
    assert all(target.unit for target in TARGETS)
    assert set(TARGETS_BY_KEY) == {target.key for target in TARGETS}


def test_each_module_runs_with_production_settings_and_fresh_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere/db")
    first = harness.production_environment(tmp_path / "a")
    second = harness.production_environment(tmp_path / "b")
    assert (first["PORTO_DEBUG"], first["PORTO_VAR_DIR"]) == ("0", str(tmp_path / "a"))
    assert first["PORTO_SSL_REDIRECT"] == "0"  # servers asked over HTTP on loopback
    assert first["PORTO_SECRET_KEY"] != second["PORTO_SECRET_KEY"]
    assert len(first["PORTO_SECRET_KEY"]) >= 50
    token = Fernet(first["PORTO_FERNET_KEYS"].encode()).encrypt(b"smtp password")
    assert Fernet(first["PORTO_FERNET_KEYS"].encode()).decrypt(token) == b"smtp password"


def test_each_module_gets_its_own_sqlite_file_as_database_url_not_the_callers(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere/db")
    first = harness.production_environment(tmp_path / "a")
    second = harness.production_environment(tmp_path / "b")
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'a' / 'porto.sqlite3'}"
    assert second["DATABASE_URL"] == f"sqlite:///{tmp_path / 'b' / 'porto.sqlite3'}"


def test_list_prints_every_key_with_its_target():
    listed = subprocess.run(
        [sys.executable, "-m", "bench", "--list"],
        capture_output=True,
        text=True,
        cwd=harness.REPOSITORY,
        check=True,
    ).stdout
    for target in TARGETS:
        assert re.search(
            rf"^{re.escape(target.key)}\s+{re.escape(target.describe())}\s", listed, re.M
        )


def test_an_unknown_module_is_refused_with_its_name():
    refused = subprocess.run(
        [sys.executable, "-m", "bench", "bench_nothing"],
        capture_output=True,
        text=True,
        cwd=harness.REPOSITORY,
        check=False,
    )
    assert refused.returncode == 2
    assert "no such benchmark module: bench_nothing" in refused.stderr


def test_a_module_that_fails_in_its_process_is_recorded_as_an_error():
    outcome, seconds = harness.run_module("bench_that_does_not_exist", runs=1)
    assert outcome == {"error": "exit status 1"}
    assert seconds > 0


def test_a_percentile_is_the_nearest_rank_not_the_maximum():
    from bench import percentile

    twenty = [float(n) for n in range(1, 21)]
    assert percentile(twenty, 0.95) == 19.0
    assert percentile(twenty, 0.9) == 18.0
    assert percentile([float(n) for n in range(1, 61)], 0.95) == 57.0
    assert percentile([7.0], 0.95) == 7.0

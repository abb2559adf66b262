"""bench_tracking's two databases: the endpoint keys come from PostgreSQL (SQLite's are reported
under their own keys), and without a PostgreSQL server they stay "not measured". The servers
themselves run in `make bench`, not here."""

import socket

from bench import bench_tracking, postgres
from bench.latest import figure_entries, values_by_key

RATES = {"bare": [1000.0, 800.0], "webhook": [500.0, 300.0], "pixel": [700.0, 640.0]}


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def entries_of(results) -> dict:
    return figure_entries(values_by_key({"bench_tracking": [r.as_dict() for r in results]}))


def test_postgresql_runs_give_the_endpoint_keys_as_ratios_to_the_bare_view():
    results = bench_tracking.endpoint_results(RATES, "postgresql")
    assert results[1].figures == {"webhook.ratio_to_bare": [0.5, 0.375]}
    assert results[2].figures == {"pixel.ratio_to_bare": [0.7, 0.8]}
    assert [r.notes.get("database") for r in results][:1] == ["postgresql"]


def test_sqlite_runs_are_reported_under_their_own_keys_not_the_targets():
    entries = entries_of(bench_tracking.endpoint_results(RATES, "sqlite", "_sqlite"))
    assert entries["webhook_sqlite.ratio_to_bare"]["status"] == "reported"
    assert entries["pixel_sqlite.ratio_to_bare"]["median"] == 0.75
    assert entries["webhook.ratio_to_bare"]["status"] == "not measured"
    assert entries["pixel.ratio_to_bare"]["status"] == "not measured"


def test_without_a_postgresql_server_the_endpoint_keys_stay_not_measured(monkeypatch):
    nobody = f"postgres://postgres@127.0.0.1:{unused_port()}/postgres"
    monkeypatch.setattr(postgres, "ADMIN_URL", nobody)
    results = bench_tracking.endpoints_postgres(runs=1)
    assert [result.figures for result in results] == [{}]
    assert results[0].notes["postgresql"].startswith("not measured: no PostgreSQL server")
    entries = entries_of(results)
    assert entries["webhook.ratio_to_bare"]["status"] == "not measured"
    assert entries["pixel.ratio_to_bare"]["status"] == "not measured"

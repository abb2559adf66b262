"""The catalogue itself: every use names a known path and an outcome, ids are unique, every
path has its test file, and no hostile test is left outside tests/hostile. The counts per path
and outcome are printed (``pytest tests/hostile/test_catalogue.py -s``) for
docs/reliability.md."""

from pathlib import Path

from tests.hostile.catalogue import CATALOGUE, PATHS, Accepted, Neutralised, Refused, counts

HERE = Path(__file__).parent
TESTS = HERE.parent


def test_every_use_names_a_known_path_and_an_outcome():
    for entry in CATALOGUE:
        assert entry.uses, f"{entry.id}: say where it is tried"
        for use in entry.uses:
            assert use.path in PATHS, f"{entry.id}: unknown path {use.path!r}"
            assert isinstance(use.outcome, Refused | Neutralised | Accepted), entry.id
            if isinstance(use.outcome, Refused):
                assert use.outcome.fragment, f"{entry.id}: a refusal names its words"


def test_entry_ids_are_unique():
    ids = [entry.id for entry in CATALOGUE]
    assert sorted(ids) == sorted(set(ids))


def test_every_path_has_its_test_file_and_is_used():
    for path in PATHS:
        test_file = "test_popup.py" if path == "send_html" else f"test_{path}.py"
        assert (HERE / test_file).exists(), f"write tests/hostile/{test_file} over cases({path!r})"
        assert sum(counts()[path].values()) > 0, f"no entry is tried on {path!r}"


def test_no_hostile_test_lives_outside_the_catalogue():
    scattered = [str(p.relative_to(TESTS)) for p in TESTS.glob("*/test_hostile_*.py")]
    assert scattered == [], "move these into tests/hostile (catalogue entries and path tests)"


def test_the_counts_per_path_and_outcome(capsys):
    table = counts()
    lines = [
        f"{path:10} refused {row.get('refused', 0):3}  neutralised {row.get('neutralised', 0):3}"
        f"  accepted {row.get('accepted', 0):3}"
        for path, row in table.items()
    ]
    total = sum(sum(row.values()) for row in table.values())
    with capsys.disabled():
        print("\nHostile input tried per path:\n" + "\n".join(lines) + f"\ntotal {total}")
    assert total == sum(len(entry.uses) for entry in CATALOGUE)

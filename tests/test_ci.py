"""With CI=true a missing PostgreSQL (or Redis) fails the run; elsewhere it is skipped with
the reason."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import services

ROOT = Path(__file__).resolve().parents[1]
NOWHERE = "postgres://nobody@127.0.0.1:1/nothing"
NO_REDIS = "redis://127.0.0.1:1/12"

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="does not use the database; the SQLite pass runs it",
    ),
]


def make_test_postgres(ci: str | None) -> subprocess.CompletedProcess:
    return make_pass("test-postgres", f"POSTGRES_TEST_URL={NOWHERE}", ci)


def make_pass(target: str, variable: str, ci: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"CI", "MAKEFLAGS"}}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        ["make", "-s", target, variable],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ci_fails_when_postgresql_is_unreachable():
    result = make_test_postgres("true")
    assert result.returncode != 0
    assert f"PostgreSQL at {NOWHERE} is unreachable: CI needs it." in result.stderr


def test_outside_ci_the_postgresql_pass_is_skipped_with_the_reason():
    result = make_test_postgres(None)
    assert result.returncode == 0
    assert f"SKIPPED the PostgreSQL pass: no server at {NOWHERE}" in result.stdout


def test_ci_fails_when_the_rq_pass_has_no_redis():
    result = make_pass("test-rq", f"RQ_TEST_REDIS_URL={NO_REDIS}", "true")
    assert result.returncode != 0
    assert f"Redis at {NO_REDIS} is unreachable: CI needs it." in result.stderr


def test_outside_ci_the_rq_pass_without_redis_is_skipped_with_the_reason():
    result = make_pass("test-rq", f"RQ_TEST_REDIS_URL={NO_REDIS}", None)
    assert result.returncode == 0
    assert f"SKIPPED the RQ pass: no Redis at {NO_REDIS}" in result.stdout


def test_the_tests_refuse_to_empty_redis_database_0():
    for url in ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379"):
        with pytest.raises(ValueError, match="database 0, which the tests never empty"):
            services.redis_flush(url)


def test_require_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have it"):
        services.require("PostgreSQL", NOWHERE, 5432)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="start it to run this test"):
        services.require("PostgreSQL", NOWHERE, 5432)


# `make test` starts with `make system-packages`, which stops when a Debian package is missing;
# .ci/run installs them first. Each lists its checks as `<check> || <add package>`.
MAKE_CHECK = re.compile(
    r'((?:command -v|fc-list -q) [^|>]+?)(?: 2>/dev/null| >/dev/null)* \|\| missing="\$\$missing ([\w.+-]+)"'
)
CI_CHECK = re.compile(
    r"((?:command -v|fc-list -q) [^|>]+?)(?: 2>/dev/null| >/dev/null)* \|\| needed\+=\(([\w.+-]+)\)"
)


def test_ci_installs_every_debian_package_make_test_checks():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nsystem-packages:") : makefile.index("\nlint:")]
    checked = dict(MAKE_CHECK.findall(recipe))
    installed = dict(CI_CHECK.findall((ROOT / ".ci" / "run").read_text()))
    assert "gettext" in checked.values()
    assert len(checked) == recipe.count("|| missing=")
    assert checked == installed


def test_ci_exports_ci_true_before_running_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.index("\nexport CI=true\n") < script.index("\nmake test\n")

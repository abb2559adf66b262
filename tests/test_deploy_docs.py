"""The deployment files tell the truth: docs/deploy.md names every environment variable the
settings and the web server read, the Procfile's commands exist, compose.yaml runs the
processes docs/deploy.md describes, and the Dockerfile installs Debian packages that exist."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[1]
DEPLOY = (REPOSITORY / "docs" / "deploy.md").read_text()
READ_ENVIRONMENT = re.compile(
    r"""(?:os\.environ\.get\(|os\.environ\[|env_bool\()\s*["']([A-Z][A-Z0-9_]+)["']"""
)
PORTO_SERVICES = ("web", "worker", "scheduler")


def variables_read_by(path: Path) -> set[str]:
    return set(READ_ENVIRONMENT.findall(path.read_text()))


def procfile() -> dict[str, str]:
    lines = (REPOSITORY / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def compose() -> dict:
    return yaml.safe_load((REPOSITORY / "compose.yaml").read_text())


def test_the_variable_scan_finds_what_settings_reads():
    found = variables_read_by(REPOSITORY / "porto" / "settings.py")
    assert {"DATABASE_URL", "PORTO_DEBUG", "PORTO_S3_BUCKET", "PORTO_MAIL_LEASE"} <= found
    assert len(found) > 50


@pytest.mark.parametrize("source", ["porto/settings.py", "porto/gunicorn_conf.py"])
def test_every_environment_variable_read_is_documented_in_deploy_md(source):
    undocumented = sorted(
        name for name in variables_read_by(REPOSITORY / source) if f"`{name}`" not in DEPLOY
    )
    assert undocumented == [], f"document these in docs/deploy.md: {undocumented}"


def test_the_provider_settings_family_is_documented():
    assert "os.environ.items()" in (REPOSITORY / "porto" / "settings.py").read_text()
    assert "`ANYMAIL_*`" in DEPLOY


def test_the_procfile_has_release_web_worker_and_scheduler():
    assert set(procfile()) == {"release", "web", "worker", "scheduler"}
    assert procfile()["web"].startswith("gunicorn ")


def manage_commands() -> list[str]:
    names = []
    for command in procfile().values():
        names += re.findall(r"manage\.py (\w+)", command)
    for service in compose()["services"].values():
        command = service.get("command") or []
        text = command if isinstance(command, str) else " ".join(command)
        names += re.findall(r"manage\.py (\w+)", text)
    return sorted(set(names))


def test_the_deploy_files_name_the_expected_management_commands():
    assert manage_commands() == [
        "collectstatic",
        "einvoice_rules",
        "mail_sweeper",
        "migrate",
        "sandbox_smtp",
        "task_worker",
    ]


@pytest.mark.processes
@pytest.mark.parametrize("name", manage_commands())
def test_every_management_command_of_the_deploy_files_exists(name):
    done = subprocess.run(
        [sys.executable, "manage.py", "help", name],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"manage.py {name}" in done.stdout


@pytest.mark.processes
def test_gunicorn_loads_porto_with_the_procfiles_web_configuration():
    web = procfile()["web"].split()
    done = subprocess.run(
        [sys.executable, "-m", *web, "--check-config"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]


def test_compose_runs_postgres_redis_web_two_workers_and_one_scheduler():
    services = compose()["services"]
    assert {"postgres", "redis", *PORTO_SERVICES} <= set(services)
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "replicas" not in services["scheduler"].get("deploy", {})
    assert services["web"]["command"] == procfile()["web"].split()
    assert " ".join(services["worker"]["command"]) == procfile()["worker"]
    assert " ".join(services["scheduler"]["command"]) == procfile()["scheduler"]


def test_compose_points_every_porto_service_at_its_postgres_and_redis():
    services = compose()["services"]
    for name in PORTO_SERVICES:
        environment = services[name]["environment"]
        assert environment["PORTO_DEBUG"] == "0"
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert (environment["PORTO_TASK_BACKEND"], environment["REDIS_URL"]) == (
            "rq",
            "redis://redis:6379/0",
        )
        assert services[name]["build"] == "."


def test_every_variable_compose_sets_is_documented():
    variables = set()
    for service in compose()["services"].values():
        variables |= {
            name for name in service.get("environment", {}) if not name.startswith("POSTGRES_")
        }
    assert sorted(name for name in variables if f"`{name}`" not in DEPLOY) == []


def dockerfile_packages() -> list[str]:
    text = (REPOSITORY / "Dockerfile").read_text().replace("\\\n", " ")
    install = re.search(r"apt-get install --yes --no-install-recommends ([^&]+)", text)
    assert install is not None
    return install.group(1).split()


def test_the_dockerfile_is_debian_with_weasyprints_libraries():
    text = (REPOSITORY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", text, re.MULTILINE)
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"} <= set(
        dockerfile_packages()
    )


@pytest.mark.skipif(shutil.which("apt-cache") is None, reason="needs Debian's apt-cache")
def test_every_debian_package_of_the_dockerfile_exists():
    unknown = [
        package
        for package in dockerfile_packages()
        if subprocess.run(["apt-cache", "show", package], capture_output=True).returncode != 0
    ]
    assert unknown == []

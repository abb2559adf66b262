"""The children `manage.py serve` starts, and `manage.py task_worker`, for each task backend:
gunicorn with Porto's configuration, and the worker of the configured backend."""

import sys

import pytest
from django.core.management import CommandError, call_command

from porto.web.management.commands.serve import STOP_TIMEOUT, child_commands
from porto.web.management.commands.task_worker import worker_arguments


def test_the_web_child_is_gunicorn_with_portos_configuration_on_the_given_address(settings):
    web = child_commands("127.0.0.1:8123")["web"]
    assert web[:3] == [sys.executable, "-m", "gunicorn"]
    assert web[web.index("--config") + 1] == str(settings.BASE_DIR / "porto" / "gunicorn_conf.py")
    assert web[web.index("--bind") + 1] == "127.0.0.1:8123"
    assert float(web[web.index("--graceful-timeout") + 1]) < STOP_TIMEOUT
    assert "runserver" not in " ".join(web)


def test_with_the_database_backend_the_worker_child_is_db_worker(settings):
    settings.PORTO_TASK_BACKEND = "db"
    worker = child_commands("127.0.0.1:8123")["worker"]
    assert worker[2:] == ["db_worker", "--interval", "0.5", "--no-reload"]


def test_with_rq_the_worker_child_is_rqworker_with_its_scheduler(settings):
    settings.PORTO_TASK_BACKEND = "rq"
    worker = child_commands("127.0.0.1:8123")["worker"]
    assert worker[2:] == ["rqworker", "--with-scheduler", "default"]


def test_with_tasks_run_in_process_serve_starts_no_worker(settings):
    settings.PORTO_TASK_BACKEND = "immediate"
    assert "worker" not in child_commands("127.0.0.1:8123")


def test_the_sandbox_child_runs_only_when_the_sandbox_is_enabled(settings):
    settings.PORTO_SANDBOX_ENABLED = False
    assert set(child_commands("127.0.0.1:8123")) == {"web", "worker", "sweeper"}


@pytest.mark.parametrize("backend", ["immediate", "dummy"])
def test_task_worker_refuses_a_backend_without_a_queue_and_says_which_to_use(settings, backend):
    settings.PORTO_TASK_BACKEND = backend
    with pytest.raises(CommandError, match=f"PORTO_TASK_BACKEND='{backend}' has no worker"):
        call_command("task_worker")


def test_the_db_worker_polls_at_the_interval_asked_for():
    assert worker_arguments("db", interval=2.5) == ["db_worker", "--interval", "2.5", "--no-reload"]

"""/healthz and /readyz for load balancers, orchestrators and uptime monitors.

- ``/healthz``: is this instance and what it depends on working? The database answers a
  query, the task queue is reachable (the database backend's table; Redis for RQ) and the
  e-invoice rules are installed (without them no UBL is validated, so no UBL is sent).
- ``/readyz``: may this instance take traffic now? The database is reachable and every
  migration is applied (an instance of a new release waits until `migrate` has run).

Both are public (no session, no token) and answer the same to everyone: only check names and
"ok"/"failing", never an error message, host name or count. Never cached. 200 when every check
passes, else 503 naming the failed ones."""

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult

from porto.documents.rendering.rules import rules_installed

logger = logging.getLogger(__name__)

REDIS_TIMEOUT = 2.0  # seconds: a health check must answer before the prober gives up

Check = Callable[[], bool]


def database_answers() -> bool:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def task_queue_reachable() -> bool:
    backend = settings.PORTO_TASK_BACKEND
    if backend == "db":
        DBTaskResult.objects.exists()  # raises when the table is missing or unreachable
        return True
    if backend == "rq":
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    return True  # immediate/dummy: tasks run in this process, there is no queue to reach


def migrations_applied() -> bool:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


HEALTH_CHECKS: dict[str, Check] = {
    "database": database_answers,
    "task_queue": task_queue_reachable,
    "einvoice_rules": rules_installed,
}
READY_CHECKS: dict[str, Check] = {
    "database": database_answers,
    "migrations": migrations_applied,
}


def run_checks(checks: dict[str, Check]) -> dict[str, str]:
    """Each check's outcome as "ok" or "failing"; the reason goes to the log only."""
    results = {}
    for name, check in checks.items():
        try:
            passed = check()
        except Exception:
            logger.exception("Health check %s failed", name)
            passed = False
        results[name] = "ok" if passed else "failing"
    return results


def checks_response(checks: dict[str, Check]) -> JsonResponse:
    results = run_checks(checks)
    healthy = all(outcome == "ok" for outcome in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": results},
        status=200 if healthy else 503,
    )


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return checks_response(HEALTH_CHECKS)


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    return checks_response(READY_CHECKS)

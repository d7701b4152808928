"""``GET /healthz``: can this process serve requests? For load balancers, process
managers and ``scripts/cluster``.

No login and no session: it reads nothing of the visitor. 200 with
``{"status": "ok", "checks": {...}}`` when every check passes, else 503 with the
failing checks named (the exception's class only: the details go to the log, not to
whoever asks). Cheap enough to be asked every few seconds: one ``SELECT 1``, a cache
round trip, and the migration check only until it has passed once in this process.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Migrations never become unapplied while a process runs (a deploy migrates, then
# restarts the servers): once the plan is empty, this process stops asking.
_migrated = False


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return ""


def migrations() -> str:
    global _migrated
    if _migrated:
        return ""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} migrations not applied"
    _migrated = True
    return ""


def cache_round_trip() -> str:
    # A key of its own: processes sharing one cache (Redis) never read each other's.
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        return "" if cache.get(key) == "ok" else "a value written was not read back"
    finally:
        cache.delete(key)


CHECKS: dict[str, Callable[[], str]] = {
    "database": database,
    "migrations": migrations,
    "cache": cache_round_trip,
}


def run_check(name: str, check: Callable[[], str]) -> str:
    """Returns "ok", or "failing: " and what is wrong."""
    try:
        problem = check()
    except Exception as exc:  # any failure of a dependency is an answer, not a 500
        logger.exception("Health check %s failed", name)
        return f"failing: {type(exc).__name__}"
    if problem:
        logger.warning("Health check %s failed: %s", name, problem)
        return f"failing: {problem}"
    return "ok"


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {name: run_check(name, check) for name, check in CHECKS.items()}
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks},
        status=200 if healthy else 503,
    )

"""Liveness and readiness endpoints for load balancers, orchestrators and monitors.

``/healthz`` touches nothing: it answers while the process can serve requests,
so a liveness probe restarts a stuck process but never every web process at
once because the database is down.  ``/readyz`` checks the database and the
Celery broker and answers 503 when one of them fails, so a load balancer or
Kubernetes stops sending traffic to an instance that cannot do its work.

Both are unauthenticated and cheap: no session, no template, one ``SELECT 1``
and one broker connection with a short timeout.  A failure is reported by the
exception's class only; the message (which may name internal hosts) goes to the
log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger("declass.health")

BROKER_TIMEOUT_S = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker(timeout: float = BROKER_TIMEOUT_S) -> None:
    """Open a fresh broker connection (Redis answers a PING; the file system broker
    checks its folders) and close it.  Settings are read on each call, not from the
    Celery app's cached configuration."""
    conn = Connection(
        settings.CELERY_BROKER_URL,
        transport_options=dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS),
        connect_timeout=timeout,
    )
    try:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    finally:
        conn.release()


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "broker": check_broker}


def run_checks() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check; (all passed, each check's status, latency and error class)."""
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        start = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure makes the instance unready; say which
            latency = round((time.perf_counter() - start) * 1000, 1)
            logger.warning("readiness check %s failed: %r", name, exc, extra={"check": name})
            results[name] = {"status": "fail", "latency_ms": latency, "error": type(exc).__name__}
        else:
            latency = round((time.perf_counter() - start) * 1000, 1)
            results[name] = {"status": "ok", "latency_ms": latency}
    return all(r["status"] == "ok" for r in results.values()), results


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    ok, checks = run_checks()
    body = {"status": "ok" if ok else "fail", "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

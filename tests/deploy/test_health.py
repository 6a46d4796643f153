"""The health endpoints against the real database and broker of this run."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings
from django.urls import resolve

from config import health
from tests.deploy.support import free_port

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readiness_checks_the_database_and_the_broker(client):
    # No login: probes are anonymous.
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0


def test_readiness_is_503_when_the_broker_is_unreachable(client):
    closed = free_port()
    started = time.monotonic()
    with override_settings(
        CELERY_BROKER_URL=f"redis://127.0.0.1:{closed}/0", CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    broker = body["checks"]["broker"]
    assert broker["status"] == "fail"
    # The class of the error only: no host names or addresses leak to an anonymous caller.
    assert broker["error"] and str(closed) not in response.content.decode()
    assert elapsed < health.BROKER_TIMEOUT_S + 2


def test_readiness_is_503_when_the_database_fails(client):
    # Make the database refuse the statement itself, the way a dropped server does.
    from django.db import connection

    def refuse(execute, sql, params, many, context):
        if sql == "SELECT 1":
            raise connection.Database.OperationalError("server closed the connection")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {
        "status": "fail",
        "latency_ms": checks["database"]["latency_ms"],
        "error": "OperationalError",
    }
    assert checks["broker"]["status"] == "ok"


def test_only_safe_methods_are_answered(client):
    assert client.head("/readyz").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405


def test_the_paths_are_the_health_views():
    assert resolve("/healthz").func is health.healthz
    assert resolve("/readyz").func is health.readyz

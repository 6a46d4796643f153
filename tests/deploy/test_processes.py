"""The production processes for real: gunicorn with deploy/gunicorn.conf.py and a
Celery worker, in the production configuration, writing JSON lines."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.support import REPO, free_port, production_env
from tests.integration import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


class Gunicorn:
    def __init__(self, port: int, proc: subprocess.Popen, log: Path) -> None:
        self.port, self.proc, self.log = port, proc, log

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        conn.request("GET", path, headers={"Host": "localhost", **headers})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def lines(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.strip()]


@contextmanager
def gunicorn(tmp_path: Path, **env: str) -> Iterator[Gunicorn]:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    defaults = {
        "DATABASE_URL": services.test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    child_env = production_env(tmp_path / "var", **{**defaults, **env})
    gunicorn_bin = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("w") as out:
        proc = subprocess.Popen(
            [gunicorn_bin, "-c", "deploy/gunicorn.conf.py"],
            cwd=REPO,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Gunicorn(port, proc, log)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()[-3000:]}"
                try:
                    server.get("/healthz")
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.2)
            yield server
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_gunicorn_serves_the_app_securely_with_json_logs(tmp_path):
    with gunicorn(tmp_path) as web:
        live = web.get("/healthz")
        ready = web.get("/readyz")
        plain_http = web.get("/login/")
        proxied = web.get("/login/", **{"X-Forwarded-Proto": "https"})
        bad_host = web.get("/login/", Host="evil.example", **{"X-Forwarded-Proto": "https"})

    # Probes speak plain HTTP to the instance and are not redirected.
    assert live[0] == 200
    assert ready[0] == 200, ready[2]
    assert {c["status"] for c in json.loads(ready[2])["checks"].values()} == {"ok"}
    # Everything else is redirected to HTTPS unless the proxy says the client used it.
    assert plain_http[0] == 301
    assert plain_http[1]["location"] == "https://localhost/login/"
    status, headers, _ = proxied
    assert status == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert "secure" in headers["set-cookie"].lower()
    assert bad_host[0] == 400

    # Every line gunicorn and Django wrote is a JSON object.
    records = [json.loads(line) for line in web.lines()]
    requests = [r for r in records if r["logger"] == "declass.request"]
    # INFO and up only: the probes (DEBUG) are not there.
    assert [(r["path"], r["status"]) for r in requests] == [
        ("/login/", 301),
        ("/login/", 200),
        ("/login/", 400),
    ]
    assert requests[1]["request_id"] == headers["x-request-id"]
    assert any(
        r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records
    )


def test_readiness_fails_and_liveness_holds_when_the_database_is_down(tmp_path):
    closed = free_port()
    down = f"postgres://postgres@127.0.0.1:{closed}/declass"
    with gunicorn(tmp_path, DATABASE_URL=down) as web:
        live = web.get("/healthz")
        ready = web.get("/readyz")

    assert live[0] == 200
    assert ready[0] == 503
    checks = json.loads(ready[2])["checks"]
    assert checks["database"]["status"] == "fail"
    assert checks["broker"]["status"] == "ok"


def test_a_celery_worker_writes_task_logs_as_json_lines(tmp_path):
    from config.celery import app

    env = {"DECLASS_LOG_FORMAT": "json"}
    with services.worker(tmp_path, **env) as worker, services.publishing():
        result = app.send_task("workflow.declass_due_sweep")
        assert services.wait_until(lambda: "succeeded" in worker.output(), timeout=60)
        output = worker.output()

    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [done] = [r for r in records if "succeeded" in r["message"]]
    assert done["logger"] == "celery.app.trace"
    assert done["task_id"] == result.id
    assert done["task_name"] == "workflow.declass_due_sweep"
    assert any(r["message"].endswith("ready.") for r in records)


def test_heavy_tasks_go_to_the_heavy_worker_and_the_sweep_to_the_others(tmp_path):
    """Two workers as deployed: one on "default" and "beat", one on "heavy" alone."""
    from config.celery import app

    with (
        services.worker(tmp_path, name="default", queues=("default", "beat")) as default,
        services.worker(tmp_path, name="heavy", queues=("heavy",)) as heavy,
        services.publishing(),
    ):
        rebuild = app.send_task("cables.similarity_rebuild")
        sweep = app.send_task("workflow.declass_due_sweep")
        assert services.wait_until(lambda: f"{sweep.id}] succeeded" in default.output(), 60)
        assert services.wait_until(lambda: f"{rebuild.id}] succeeded" in heavy.output(), 120), (
            heavy.output()[-3000:]
        )
        default_log, heavy_log = default.output(), heavy.output()

    assert rebuild.id not in default_log
    assert sweep.id not in heavy_log
    assert "heavy" in heavy_log and "exchange=heavy(direct) key=heavy" in heavy_log

"""Start real Celery worker and beat processes against the test database and broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """A URL for the database this test run uses (the ``test_`` one), for child processes."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = f"{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=test_database_url(),
        DECLASS_VAR_DIR=str(settings.VAR_DIR),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        PYTHONUNBUFFERED="1",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    env.update(extra)
    return env


class Service:
    """A child process whose output goes to a log file that tests can read."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str]):
        self.name = name
        self.log = log
        self._fh = log.open("w")
        self.proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()[-3000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: no {text!r} within {timeout}s:\n{self.output()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (a prefork worker has children)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._fh.close()


def wait_until(predicate: object, timeout: float = 120, step: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(step)
    return False


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", *args]


@contextmanager
def publishing() -> Iterator[None]:
    """Let this (test) process send tasks to the broker instead of running them eagerly."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@contextmanager
def worker(tmp_path: Path, *, concurrency: int = 1, **env: str) -> Iterator[Service]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    service = Service(
        "worker",
        celery(
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=test-{os.getpid()}@%h",
        ),
        tmp_path / "worker.log",
        child_env(**env),
    )
    try:
        service.wait_for("ready.")
        yield service
    finally:
        service.stop()


@contextmanager
def beat(tmp_path: Path, **env: str) -> Iterator[Service]:
    service = Service(
        "beat",
        celery(
            "beat",
            "--loglevel=INFO",
            "--max-interval=1",
            f"--schedule={tmp_path / 'beat-schedule'}",
        ),
        tmp_path / "beat.log",
        child_env(**env),
    )
    try:
        service.wait_for("beat: Starting")
        yield service
    finally:
        service.stop()

"""Helpers for the deployment tests: production-like environments and child processes."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
# Variables of this test run that a production-like child must not inherit.
_OWN_PREFIXES = ("DJANGO_", "DECLASS_", "CELERY_", "DATABASE_URL", "DB_", "GUNICORN_", "WEB_")


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any project variable, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update(PYTHONUNBUFFERED="1", PYTHONWARNINGS="ignore::DeprecationWarning")
    env.update(values)
    return env


def production_env(var_dir: Path, **values: str) -> dict[str, str]:
    """What a deployment sets: debug off, a real key, a database, hosts, HTTPS behind a
    proxy, JSON logs.  The database is named only: checks that do not connect need no more."""
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    defaults = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://declass:x@db.example.org:5432/declass",
        "DJANGO_ALLOWED_HOSTS": "declass.example.org,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://declass.example.org",
        "DJANGO_HTTPS": "1",
        "DECLASS_VAR_DIR": str(var_dir),
    }
    return clean_env(**{**defaults, **values})


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

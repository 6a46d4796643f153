"""Production settings pass ``check --deploy``; the development defaults still work.

Each check runs ``manage.py`` in a child process with exactly the environment a
deployment gives it, since settings are read once, at import.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import DEPLOY, REPO, clean_env, manage, production_env

DEPLOY_CHECK = ("check", "--deploy", "--fail-level", "WARNING")


def _settings(env: dict[str, str], *names: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"values = {{n: getattr(settings, n, None) for n in {list(names)!r}}}; "
        "print(json.dumps(values, default=str))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_production_environment_passes_the_deploy_check(tmp_path: Path) -> None:
    proc = manage(*DEPLOY_CHECK, env=production_env(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_production_is_https_unless_told_otherwise(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["DJANGO_HTTPS"]
    proc = manage(*DEPLOY_CHECK, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_with_https_off_the_deploy_check_fails_naming_what_is_missing(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env["DJANGO_HTTPS"] = "0"
    proc = manage(*DEPLOY_CHECK, env=env)
    assert proc.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in proc.stderr, proc.stderr


def test_production_settings_are_secure(tmp_path: Path) -> None:
    values = _settings(
        production_env(tmp_path),
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "LOG_FORMAT",
    )
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "LOG_FORMAT": "json",
    }


def test_debug_defaults_of_make_run_still_work(tmp_path: Path) -> None:
    # What `make run` gives: DJANGO_DEBUG=1 and nothing else (manage.py names the settings).
    env = clean_env(
        DJANGO_DEBUG="1", DECLASS_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings"
    )
    try:
        # --database: the check connects, to the embedded PostgreSQL it started.
        proc = manage("check", "--database", "default", "--fail-level", "WARNING", env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        values = _settings(
            env, "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "LOG_FORMAT", "DATABASES"
        )
    finally:
        stopped = subprocess.run(
            [sys.executable, "-m", "config.embedded_db", "stop"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert values["DEBUG"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["LOG_FORMAT"] == "plain"
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    # `make run` logs in as the application role (migrations: as the owner).
    assert (database["NAME"], database["USER"]) == ("declass", "declass_app")
    assert not database.get("PASSWORD")
    assert (tmp_path / "postgres" / "PG_VERSION").read_text().startswith("18")
    assert database["HOST"].startswith("/")  # a Unix socket: no TCP port is opened
    assert stopped.stdout.startswith("stopped the PostgreSQL server"), stopped
    assert (tmp_path / "secret_key").exists()


def test_production_without_a_database_url_refuses_to_start(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["DATABASE_URL"]
    proc = manage("check", env=env)
    assert proc.returncode != 0
    assert "DATABASE_URL is not set" in proc.stderr
    assert not (tmp_path / "postgres").exists()


def test_a_database_other_than_postgresql_is_refused(tmp_path: Path) -> None:
    proc = manage("check", env=production_env(tmp_path, DATABASE_URL="sqlite:///db.sqlite3"))
    assert proc.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database" in proc.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    env = production_env(tmp_path, DJANGO_SECRET_KEY="change-me")
    proc = manage("check", env=env)
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY is missing or a placeholder" in proc.stderr


def test_an_unknown_log_format_is_refused_by_name(tmp_path: Path) -> None:
    proc = manage("check", env=production_env(tmp_path, DECLASS_LOG_FORMAT="xml"))
    assert proc.returncode != 0
    assert "DECLASS_LOG_FORMAT must be one of json, plain, got 'xml'" in proc.stderr


# The configuration each deployment really ships passes the deploy check too.


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Docker Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}."""

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in variables and variables[name] != "":
            return variables[name]
        if op == "?":
            raise AssertionError(f"compose needs {name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{(\w+)(?::([?-])([^}]*))?\}", sub, value)


def compose_app_env(variables: dict[str, str]) -> dict[str, str]:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    raw = compose["x-app"]["environment"]
    return {k: _interpolate(str(v), variables) for k, v in raw.items()}


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def _k8s_env(secret_key: str) -> dict[str, str]:
    config = yaml.safe_load((DEPLOY / "k8s" / "configmap.yaml").read_text())["data"]
    secret = yaml.safe_load((DEPLOY / "k8s" / "secret.example.yaml").read_text())["stringData"]
    return {**config, **secret, "DJANGO_SECRET_KEY": secret_key}


@pytest.mark.parametrize("deployment", ["compose", "systemd", "kubernetes"])
def test_each_deployments_configuration_passes_the_deploy_check(
    deployment: str, tmp_path: Path
) -> None:
    key = secrets.token_urlsafe(50)
    if deployment == "compose":
        shipped = compose_app_env(
            {
                "DJANGO_SECRET_KEY": key,
                "DECLASS_DOMAIN": "d.example.org",
                "POSTGRES_PASSWORD": "x",
                "DECLASS_DB_APP_PASSWORD": "y",
                "DECLASS_AUDIT_CHECKPOINT_KEY": "z",
            }
        )
    elif deployment == "systemd":
        shipped = {**_env_file(DEPLOY / "env.example"), "DJANGO_SECRET_KEY": key}
    else:
        shipped = _k8s_env(key)
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings", **shipped)
    env["DECLASS_VAR_DIR"] = str(tmp_path)
    proc = manage(*DEPLOY_CHECK, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


@pytest.mark.parametrize("source", ["systemd env.example", "kubernetes secret.example.yaml"])
def test_the_shipped_examples_hold_no_usable_secret(source: str, tmp_path: Path) -> None:
    if source.startswith("systemd"):
        shipped = _env_file(DEPLOY / "env.example")
    else:
        shipped = _k8s_env("change-me")
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings", **shipped)
    env["DECLASS_VAR_DIR"] = str(tmp_path)
    proc = manage("check", env=env)
    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY is missing or a placeholder" in proc.stderr

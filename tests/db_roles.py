"""The test database as production has it: the tests log in as the application role.

pytest-django creates and migrates the test database as the superuser that
``DATABASE_URL`` names; then (tests/conftest.py's ``django_db_setup``) the roles get
their privileges there (``audit.db_roles``, as ``manage.py db_roles`` does), the
test-only flush function is created, and every connection of the run, worker
processes included (tests/integration/services.py), logs in as ``declass_app``.

What only an attacker with the superuser's access could do (tamper with the trail
behind the service's back) goes through :func:`superuser_connection`, which sees
committed rows only: such tests are transactional.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connections, transaction

from audit import db_roles

_SUPERUSER: dict[str, Any] = {}
# Only where the superuser logs in with a password does the application role need one.
APP_TEST_PASSWORD = os.environ.get("DECLASS_TEST_APP_PASSWORD", "declass-app-tests")

# In a schema of its own: `db_roles` hands what is in public over to the owner, and this
# one must stay the superuser's (it turns triggers off to empty the record tables).
FLUSH_FUNCTION = """
CREATE SCHEMA IF NOT EXISTS declass_test;
GRANT USAGE ON SCHEMA declass_test TO declass_app;
CREATE OR REPLACE FUNCTION declass_test.flush(tables text[], reset boolean, cascade boolean)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET session_replication_role = replica SET search_path = public, pg_temp AS $$
BEGIN
    EXECUTE 'TRUNCATE ' || (SELECT string_agg(quote_ident(t), ', ') FROM unnest(tables) t)
        || CASE WHEN reset THEN ' RESTART IDENTITY' ELSE '' END
        || CASE WHEN cascade THEN ' CASCADE' ELSE '' END;
END;
$$;
REVOKE ALL ON FUNCTION declass_test.flush(text[], boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION declass_test.flush(text[], boolean, boolean) TO declass_app;
"""


def become_application_role() -> None:
    """Grant the roles on the (just migrated) test database, then log in as the app."""
    conn = connections["default"]
    s = conn.settings_dict
    password = APP_TEST_PASSWORD if s.get("PASSWORD") else None
    with transaction.atomic(), conn.cursor() as cursor:
        db_roles.apply_roles(cursor, s["NAME"], app_password=password)
        cursor.execute(FLUSH_FUNCTION)
    _SUPERUSER.update(USER=s["USER"], PASSWORD=s.get("PASSWORD") or "")
    conn.close()
    s.update(USER=db_roles.APP, PASSWORD=password or "")


def become_superuser_again() -> None:
    """For pytest-django's teardown: dropping the test database takes the superuser."""
    conn = connections["default"]
    conn.close()
    conn.settings_dict.update(_SUPERUSER)


@contextmanager
def as_superuser() -> Iterator[None]:
    """Django's connection logs in as the superuser for a while: what migrations do (they
    run as the owner), in a transactional test (the connection is closed around it)."""
    conn = connections["default"]
    if conn.in_atomic_block:
        raise RuntimeError("as_superuser needs a transactional test")
    app = {"USER": conn.settings_dict["USER"], "PASSWORD": conn.settings_dict["PASSWORD"]}
    conn.close()
    conn.settings_dict.update(_SUPERUSER)
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.update(app)


@contextmanager
def superuser_connection() -> Iterator[psycopg.Connection]:
    """A connection of its own to the test database as the superuser (autocommit)."""
    s = connections["default"].settings_dict
    params = {
        "dbname": s["NAME"],
        "user": _SUPERUSER["USER"],
        "password": _SUPERUSER["PASSWORD"] or None,
        "host": s.get("HOST") or None,
        "port": str(s["PORT"]) if s.get("PORT") else None,
    }
    with psycopg.connect(
        **{k: v for k, v in params.items() if v is not None}, autocommit=True
    ) as conn:
        yield conn

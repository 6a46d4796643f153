"""``manage.py db_roles``: create the database roles and grant their privileges.

Run it with ``DECLASS_DB_ROLE=owner`` (so that it connects with ``DATABASE_OWNER_URL``:
a superuser, or an administrator with CREATEROLE that is a member of declass_owner),
before ``migrate`` (the roles must exist: migrations act as declass_owner) and after it
(the tables it created get their grants).  Idempotent.  See audit/db_roles.py.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from audit import db_roles
from config.env import env_secret


def admin_connection() -> psycopg.Connection:
    """The configured database, logged in as configured, acting as itself (no role set:
    the owner role may not exist yet)."""
    s = settings.DATABASES["default"]
    params = {
        "dbname": s["NAME"],
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or None,
        "port": str(s["PORT"]) if s.get("PORT") else None,
    }
    # Django's own keys (server-side binding, the cursor class) are not connection options.
    django_only = {"options", "server_side_binding", "cursor_factory", "prepare_threshold"}
    options = {k: v for k, v in (s.get("OPTIONS") or {}).items() if k not in django_only}
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, **options)


class Command(BaseCommand):
    help = (
        "Create the declass_owner and declass_app database roles (idempotent) and grant "
        "the application role its privileges: rows only, decisions and the audit trail "
        "append-only, no TRUNCATE, no table or trigger control."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--owner-login",
            action="store_true",
            help="let declass_owner log in (it needs a password of its own then)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = env_secret("DECLASS_DB_APP_PASSWORD")
        database = settings.DATABASES["default"]["NAME"]
        with admin_connection() as conn, conn.cursor() as cursor:
            db_roles.apply_roles(
                cursor, database, app_password=password, owner_login=options["owner_login"]
            )
        self.stdout.write(
            f"roles {db_roles.OWNER} and {db_roles.APP} ready on database {database}"
            + (" (application password set)" if password else "")
        )

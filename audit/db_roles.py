"""The database roles: an owner that runs migrations, and the application's login role.

``declass_owner`` owns the schema's tables (migrations run as it: ``DECLASS_DB_ROLE=owner``
in the settings); ``declass_app`` is the role the web server, the workers and beat log in
as: no superuser, no CREATEROLE or CREATEDB, member of no role, owner of nothing.
It may read and write rows, never TRUNCATE, never ALTER a table or switch its triggers
off, and on the record tables (decisions and where they came from, QC re-decisions,
audit events) it may only INSERT and SELECT; the database's trail of access changes it
may only SELECT (its triggers write it as the owner), and the permissions and content
types through which grants are resolved it may not UPDATE or DELETE.  The reviewed
text and its markings it may not UPDATE (a paragraph not at all, a cable only in its
recomputed declassification status: ``UPDATABLE_COLUMNS``), nor a rule's saved
versions (redaction migration 0004 refuses it by trigger too); its sequences it may
only draw from (USAGE, SELECT), never set.
Published releases refuse UPDATE and DELETE by trigger (releases migration 0002); the
record tables refuse TRUNCATE by trigger too, whoever holds the privilege, and so do
the tables that decide access, whose every changed row the database records in
``audit_accesschange`` (audit migration 0006).

The near-duplicate index (``cables_paragraphband``, derived data) is rebuilt by
emptying it and reloading it with its indexes dropped, which takes its owner: the
application role calls two SECURITY DEFINER functions of the owner that do just that
(workflow migration 0008).

``apply_roles`` is idempotent; ``manage.py db_roles`` runs it as a superuser (or a role
with CREATEROLE that is a member of the owner): before ``migrate``, so that the roles
exist, and after it, so that the tables it created get their grants.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

OWNER = "declass_owner"
APP = "declass_app"
# Rows only ever added: the application role may INSERT and SELECT.  Where a decision
# came from (a near-duplicate, the model, a supervisor's propagation) and QC's blind
# re-decisions are part of the record too (workflow migration 0009: their triggers).
# The trail of access changes is written by triggers that run as the owner (audit
# migration 0007): the application role may only SELECT it.
TRIGGER_WRITTEN_TABLES = ("audit_accesschange",)
# Through which every permission is resolved: a row changed under a user changes what
# they may do, so the application role may add rows (a new model's) but never change or
# remove one.
REFERENCE_TABLES = ("auth_permission", "django_content_type")
APPEND_ONLY_TABLES = (
    "audit_auditevent",
    "workflow_decision",
    "workflow_decisionorigin",
    "workflow_qcreview",
    "workflow_subjectdecision",
)
# Rows never changed after they are written, except in the columns named: the text a
# decision is taken on and its markings (a paragraph not at all; a cable only in the
# declassification status that ``cables.declass_store`` recomputes), and a rule's saved
# versions (only the author's link, which Django empties when the user is deleted).  A
# whole row may still be deleted (a cable with its paragraphs, a rule with its versions)
# where no decision's foreign key keeps it.
UPDATABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "cables_paragraph": (),
    "cables_cable": (
        "declass_date",
        "declass_kind",
        "declass_rule",
        "declass_review_required",
        "declass_explanation",
        "declass_warnings",
        "declass_flags",
        "declass_computed_at",
        "declass_version",
    ),
    "redaction_ruleversion": ("changed_by_id",),
}


def _role_exists(cursor: Any, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def _create_role(cursor: Any, role: str, attributes: str) -> None:
    # Roles are cluster-wide: two processes (test runs) may create one at once.
    if _role_exists(cursor, role):
        return
    cursor.execute("SAVEPOINT declass_role")
    try:
        cursor.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(role)))
    except Exception as exc:  # duplicate_object or unique_violation: another one won
        cursor.execute("ROLLBACK TO SAVEPOINT declass_role")
        if not _role_exists(cursor, role):
            raise exc
    else:
        cursor.execute("RELEASE SAVEPOINT declass_role")


ROLE_ATTRIBUTES = {
    OWNER: "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    APP: "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT",
}


_FLAGS = {
    "LOGIN": "rolcanlogin",
    "SUPERUSER": "rolsuper",
    "CREATEDB": "rolcreatedb",
    "CREATEROLE": "rolcreaterole",
    "REPLICATION": "rolreplication",
    "BYPASSRLS": "rolbypassrls",
    "INHERIT": "rolinherit",
}


def _set_attributes(cursor: Any, role: str, attributes: str) -> None:
    """ALTER ROLE only where an attribute differs: two test runs altering the same role
    at once would fail ("tuple concurrently updated")."""
    cursor.execute(
        f"SELECT {', '.join(_FLAGS.values())} FROM pg_roles WHERE rolname = %s",  # nosec B608
        [role],
    )
    current = dict(zip(_FLAGS, cursor.fetchone(), strict=True))
    wanted = {word.removeprefix("NO"): not word.startswith("NO") for word in attributes.split()}
    if any(current[flag] != value for flag, value in wanted.items() if flag in current):
        cursor.execute(sql.SQL("ALTER ROLE {} " + attributes).format(sql.Identifier(role)))


def create_roles(cursor: Any, *, app_password: str | None = None, owner_login: bool = False):
    """Create both roles if missing and (re)set their attributes."""
    for role, attributes in ROLE_ATTRIBUTES.items():
        _create_role(cursor, role, attributes)
    owner_attributes = ROLE_ATTRIBUTES[OWNER]
    if owner_login:
        owner_attributes = owner_attributes.replace("NOLOGIN", "LOGIN")
    _set_attributes(cursor, OWNER, owner_attributes)
    _set_attributes(cursor, APP, ROLE_ATTRIBUTES[APP])
    if app_password:
        cursor.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(APP), sql.Literal(app_password)
            )
        )


def _existing(cursor: Any, tables: tuple[str, ...]) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)",
        [list(tables)],
    )
    return sorted(row[0] for row in cursor.fetchall())


def _transfer_to_owner(cursor: Any) -> None:
    """Tables, views, sequences and functions of the schema made by another role (a
    database migrated before the roles existed, or by a superuser) pass to the owner.
    (Only the public schema: what else the database holds is not the service's.)"""
    cursor.execute(
        "SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
        "AND pg_get_userbyid(c.relowner) <> %s "
        "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
        "WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))",  # owned by their table
        [OWNER],
    )
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}
    kinds |= {"S": "SEQUENCE", "f": "FOREIGN TABLE"}
    for name, kind in cursor.fetchall():
        cursor.execute(
            sql.SQL("ALTER {} {} OWNER TO {}").format(
                sql.SQL(kinds[kind]), sql.Identifier(name), sql.Identifier(OWNER)
            )
        )
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') "
        "AND pg_get_userbyid(p.proowner) <> %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
        [OWNER],
    )
    for (signature,) in cursor.fetchall():
        # A regprocedure's text is already quoted where it needs to be.
        cursor.execute(
            sql.SQL("ALTER ROUTINE {} OWNER TO {}").format(
                sql.SQL(signature), sql.Identifier(OWNER)
            )
        )


def grant(cursor: Any, database: str) -> None:
    """The privileges of both roles on ``database``'s public schema; idempotent."""
    ident = sql.Identifier
    owner, app = ident(OWNER), ident(APP)
    for statement in (
        "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {app}",
        "GRANT CONNECT ON DATABASE {db} TO {owner}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
        "GRANT USAGE ON SCHEMA public TO {app}",
        "REVOKE CREATE ON SCHEMA public FROM {app}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {app}",
        # USAGE is all nextval() takes; UPDATE would let the role setval() a record
        # table's sequence to its end, after which nothing more can be recorded.
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        "REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA public FROM {app}",
        # Trigger functions cannot be called; the others are the owner's on purpose.
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {app}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        "GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        "REVOKE UPDATE ON SEQUENCES FROM {app}",
    ):
        cursor.execute(sql.SQL(statement).format(db=ident(database), app=app, owner=owner))
    _transfer_to_owner(cursor)
    for table in _existing(cursor, APPEND_ONLY_TABLES):
        cursor.execute(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(ident(table), app)
        )
    for table in _existing(cursor, TRIGGER_WRITTEN_TABLES):
        cursor.execute(
            sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                ident(table), app
            )
        )
    for table in _existing(cursor, REFERENCE_TABLES):
        cursor.execute(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(ident(table), app))
    # A table-level REVOKE takes the columns' grants with it; then the named ones again.
    for table in _existing(cursor, tuple(UPDATABLE_COLUMNS)):
        cursor.execute(sql.SQL("REVOKE UPDATE ON {} FROM {}").format(ident(table), app))
        if columns := UPDATABLE_COLUMNS[table]:
            cursor.execute(
                sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                    sql.SQL(", ").join(map(ident, columns)), ident(table), app
                )
            )
    # A trigger fires whatever the role that sets it off may execute; EXECUTE only lets a
    # role attach the function to a table of its own (a temporary one), which the
    # application role must never do: the access trail's would write history of its choosing.
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.prorettype = 'trigger'::regtype"
    )
    for (signature,) in cursor.fetchall():
        # A regprocedure's text is already quoted where it needs to be.
        cursor.execute(
            sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC, {}").format(sql.SQL(signature), app)
        )


def apply_roles(
    cursor: Any, database: str, *, app_password: str | None = None, owner_login: bool = False
) -> None:
    create_roles(cursor, app_password=app_password, owner_login=owner_login)
    grant(cursor, database)

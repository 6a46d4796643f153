"""The database's own trail of access changes (audit migration 0006).

The tests log in as the application role, as the service does (tests/db_roles.py),
and change access the ways no signal sees: ``QuerySet.update()`` and raw SQL.  Each
change leaves exactly one row in ``audit_accesschange`` with the role, the table,
the operation, the row before and after, and the transaction; the password hash is
never in it; the role can neither rewrite the trail nor switch the triggers off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission, update_last_login
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.models import Max

from audit import db_roles
from audit.models import ACCESS_TABLES, AccessChange
from cables.markings import Level
from cables.models import Cable
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, UserFactory
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

FIELDS = ("db_role", "session_role", "table_name", "operation", "before", "after", "txid")


@contextmanager
def recorded() -> Iterator[list[dict[str, Any]]]:
    """The trail's rows written inside the block, oldest first."""
    mark = AccessChange.objects.aggregate(last=Max("id"))["last"] or 0
    rows: list[dict[str, Any]] = []
    yield rows
    rows.extend(AccessChange.objects.filter(id__gt=mark).order_by("id").values(*FIELDS))


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def this_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def row(table: str, operation: str, before: Any, after: Any) -> dict[str, Any]:
    """The row the trail must hold: written as the application role, in this transaction."""
    return {
        "db_role": db_roles.APP,
        "session_role": db_roles.APP,
        "table_name": table,
        "operation": operation,
        "before": before,
        "after": after,
        "txid": this_transaction(),
    }


def refused(statement: str, match: str) -> None:
    with pytest.raises(DatabaseError, match=match):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


@pytest.fixture
def bob() -> Any:
    user = UserFactory(username="bob")
    Clearance.objects.create(user=user, level=int(Level.C))
    return user


def test_a_clearance_raised_by_queryset_update_is_recorded(bob):
    with recorded() as rows:
        Clearance.objects.filter(user=bob).update(level=int(Level.TS))

    before = {"user_id": bob.pk, "level": int(Level.C)}
    after = {"user_id": bob.pk, "level": int(Level.TS)}
    assert rows == [row("workflow_clearance", "UPDATE", before, after)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        assert (
            AccessChange.objects.latest("id").at == cursor.fetchone()[0]
        )  # the transaction's time


def test_a_clearance_changed_and_deleted_by_raw_sql_is_recorded(bob):
    with recorded() as rows:
        sql("UPDATE workflow_clearance SET level = %s WHERE user_id = %s", [int(Level.S), bob.pk])
        sql("DELETE FROM workflow_clearance WHERE user_id = %s", [bob.pk])

    secret = {"user_id": bob.pk, "level": int(Level.S)}
    assert rows == [
        row("workflow_clearance", "UPDATE", {"user_id": bob.pk, "level": int(Level.C)}, secret),
        row("workflow_clearance", "DELETE", secret, None),
    ]


def test_an_update_that_changes_nothing_leaves_nothing(bob):
    with recorded() as rows:
        Clearance.objects.filter(user=bob).update(level=int(Level.C))
        bob.clearance.save()
    assert rows == []


def test_a_role_given_by_raw_sql_is_recorded(bob):
    reviewer = Group.objects.get(name="reviewer")
    with recorded() as rows:
        sql(
            "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
            [bob.pk, reviewer.pk],
        )

    membership = bob.groups.through.objects.get(user=bob, group=reviewer)
    after = {"id": membership.pk, "user_id": bob.pk, "group_id": reviewer.pk}
    assert rows == [row("auth_user_groups", "INSERT", None, after)]


def test_a_model_permission_given_to_a_role_by_raw_sql_is_recorded():
    reviewer = Group.objects.get(name="reviewer")
    perm = Permission.objects.get(content_type__app_label="audit", codename="view_auditevent")
    with recorded() as rows:
        sql(
            "INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (%s, %s)",
            [reviewer.pk, perm.pk],
        )
    assert len(rows) == 1
    assert rows[0]["table_name"] == "auth_group_permissions"
    assert rows[0]["after"] | {"id": None} == {
        "id": None,
        "group_id": reviewer.pk,
        "permission_id": perm.pk,
    }


def test_a_guardian_object_permission_inserted_and_deleted_by_raw_sql_is_recorded(bob):
    cable = CableFactory()
    view = Permission.objects.get(content_type__app_label="cables", codename="view_cable")
    cable_type = ContentType.objects.get_for_model(Cable)
    with recorded() as rows:
        sql(
            "INSERT INTO guardian_userobjectpermission "
            "(object_pk, content_type_id, permission_id, user_id) VALUES (%s, %s, %s, %s)",
            [str(cable.pk), cable_type.pk, view.pk, bob.pk],
        )
        sql("DELETE FROM guardian_userobjectpermission WHERE user_id = %s", [bob.pk])

    assert [(r["table_name"], r["operation"]) for r in rows] == [
        ("guardian_userobjectpermission", "INSERT"),
        ("guardian_userobjectpermission", "DELETE"),
    ]
    granted = rows[0]["after"]
    assert granted == {
        "id": granted["id"],
        "object_pk": str(cable.pk),
        "content_type_id": cable_type.pk,
        "permission_id": view.pk,
        "user_id": bob.pk,
    }
    assert rows[1]["before"] == granted and rows[1]["after"] is None
    assert rows == [
        row("guardian_userobjectpermission", "INSERT", None, granted),
        row("guardian_userobjectpermission", "DELETE", granted, None),
    ]


def test_a_cable_grant_by_raw_sql_is_recorded(bob):
    """The service's own grants live in guardian's direct-FK tables (workflow.models)."""
    cable = CableFactory()
    review = Permission.objects.get(content_type__app_label="cables", codename="review_cable")
    with recorded() as rows:
        sql(
            "INSERT INTO workflow_cableuserobjectpermission "
            "(content_object_id, permission_id, user_id) VALUES (%s, %s, %s)",
            [cable.pk, review.pk, bob.pk],
        )
    assert len(rows) == 1
    assert rows[0]["table_name"] == "workflow_cableuserobjectpermission"
    assert rows[0]["after"]["content_object_id"] == cable.pk
    assert rows[0]["after"]["user_id"] == bob.pk


def test_a_superuser_made_by_queryset_update_is_recorded_without_the_password_hash(bob):
    hashed = get_user_model().objects.get(pk=bob.pk).password
    assert hashed.startswith("md5$")
    with recorded() as rows:
        get_user_model().objects.filter(pk=bob.pk).update(is_superuser=True)

    assert len(rows) == 1
    before, after = rows[0]["before"], rows[0]["after"]
    assert rows == [row("auth_user", "UPDATE", before, after)]
    assert (before["is_superuser"], after["is_superuser"]) == (False, True)
    assert before["username"] == after["username"] == "bob"
    assert {k: v for k, v in after.items() if k != "is_superuser"} == {
        k: v for k, v in before.items() if k != "is_superuser"
    }
    assert "password" not in before and "password" not in after
    assert hashed not in json.dumps(rows)


def test_the_password_hash_never_reaches_the_trail():
    with recorded() as rows:
        carol = UserFactory(username="carol")
        carol.set_password("another secret")
        carol.save()
        get_user_model().objects.filter(pk=carol.pk).update(is_staff=True)
        sql("DELETE FROM auth_user WHERE id = %s", [carol.pk])

    assert [(r["table_name"], r["operation"]) for r in rows] == [
        ("auth_user", "INSERT"),
        ("auth_user", "UPDATE"),
        ("auth_user", "DELETE"),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM audit_accesschange WHERE table_name = 'auth_user' AND "
            "(before ? 'password' OR after ? 'password' OR "
            "strpos(coalesce(before::text, '') || coalesce(after::text, ''), 'md5$') > 0)"
        )
        assert cursor.fetchone() == (0,)


def test_a_login_or_a_new_password_leaves_no_row(bob):
    with recorded() as rows:
        update_last_login(None, bob)
        bob.set_password("a new one")
        bob.save(update_fields=["password"])
        bob.first_name = "Bob"
        bob.save()  # every column written, no flag changed
    assert rows == []


def test_a_temporary_table_of_the_same_name_does_not_divert_the_trail(bob):
    """The application role may create temporary tables, which come first on the search
    path: the trigger names the trail's schema."""
    with recorded() as rows:
        sql("CREATE TEMPORARY TABLE audit_accesschange (LIKE public.audit_accesschange)")
        Clearance.objects.filter(user=bob).update(level=int(Level.S))
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_temp.audit_accesschange")
            assert cursor.fetchone() == (0,)
            cursor.execute("DROP TABLE pg_temp.audit_accesschange")
    assert [r["table_name"] for r in rows] == ["workflow_clearance"]


_FORGED = (
    "INSERT INTO audit_accesschange "
    "(at, db_role, session_role, table_name, operation, txid) "
    "VALUES (now(), 'x', 'x', 'workflow_clearance', 'DELETE', 1)"
)


def test_the_trail_takes_rows_from_the_triggers_only():
    # The application role holds no INSERT: the triggers write as the owner (audit 0007).
    refused(_FORGED, match="permission denied")
    refused(
        "CREATE TEMPORARY TABLE attach_here (x int); CREATE TRIGGER t AFTER INSERT ON "
        "attach_here FOR EACH ROW EXECUTE FUNCTION public.audit_record_access_change()",
        match="permission denied",
    )


@pytest.mark.django_db(transaction=True)
def test_not_even_the_superuser_writes_the_trail_but_through_a_watched_table():
    with superuser_connection() as conn, pytest.raises(Exception, match="triggers only"):
        conn.execute(_FORGED)


def test_the_application_role_can_neither_rewrite_nor_empty_the_trail(bob):
    Clearance.objects.filter(user=bob).update(level=int(Level.S))
    pk = AccessChange.objects.latest("id").pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_name = 'audit_accesschange' ORDER BY 1",
            [db_roles.APP],
        )
        assert [r[0] for r in cursor.fetchall()] == ["SELECT"]
    refused(f"UPDATE audit_accesschange SET db_role = 'x' WHERE id = {pk}", "permission denied")
    refused(f"DELETE FROM audit_accesschange WHERE id = {pk}", "permission denied")
    refused("TRUNCATE audit_accesschange", "permission denied")
    refused("ALTER TABLE audit_accesschange DISABLE TRIGGER USER", "must be owner")
    assert AccessChange.objects.filter(pk=pk, db_role=db_roles.APP).exists()


@pytest.mark.parametrize("table", sorted(ACCESS_TABLES))
def test_the_application_role_cannot_switch_the_watch_off_or_truncate(table):
    refused(f"ALTER TABLE {table} DISABLE TRIGGER audit_access_change", "must be owner")
    refused(f"ALTER TABLE {table} DISABLE TRIGGER USER", "must be owner")
    refused(f"DROP TRIGGER audit_access_change ON {table}", "must be owner")
    refused(f"TRUNCATE {table} CASCADE", "permission denied")


def test_the_application_role_cannot_replace_the_trigger_function():
    refused(
        "CREATE OR REPLACE FUNCTION audit_record_access_change() RETURNS trigger AS $$ "
        "BEGIN RETURN NULL; END; $$ LANGUAGE plpgsql",
        "permission denied|must be owner",
    )


def test_every_access_table_is_watched_for_each_operation():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'audit_access%%' AND c.relname <> 'audit_accesschange' "
            "AND t.tgenabled = 'O' ORDER BY 1, 2"
        )
        found = cursor.fetchall()
    names = ["audit_access_change", "audit_access_change_update", "audit_access_no_truncate"]
    assert found == [(table, name) for table in sorted(ACCESS_TABLES) for name in names]


@pytest.mark.django_db(transaction=True)
def test_truncating_a_watched_table_is_refused_even_to_the_superuser():
    """And the suite's own flush, which empties these tables after every transactional
    test (this one included), still works: it runs in replica mode (tests/db_roles.py)."""
    bob = UserFactory(username="bob")
    Clearance.objects.create(user=bob, level=int(Level.C))
    with superuser_connection() as conn:
        for table in sorted(ACCESS_TABLES):
            with pytest.raises(Exception, match="TRUNCATE would leave no trace"):
                conn.execute(f"TRUNCATE {table} CASCADE")
        with pytest.raises(Exception, match="never truncated"):
            conn.execute("TRUNCATE audit_accesschange")
        with pytest.raises(Exception, match="append-only"):
            conn.execute("DELETE FROM audit_accesschange")
        conn.execute("UPDATE workflow_clearance SET level = 3 WHERE user_id = %s", [bob.pk])
        superuser = conn.execute("SELECT current_user").fetchone()[0]
    assert Clearance.objects.get(user=bob).level == 3
    last = AccessChange.objects.latest("id")
    assert (last.table_name, last.db_role, last.after) == (
        "workflow_clearance",
        superuser,
        {"user_id": bob.pk, "level": 3},
    )


@pytest.mark.django_db(transaction=True)
def test_db_roles_can_run_again_and_changes_nothing():
    def grants(conn: Any) -> list[tuple]:
        return conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s ORDER BY 1, 2",
            [db_roles.APP],
        ).fetchall()

    with superuser_connection() as conn:
        first = grants(conn)
        with conn.transaction(), conn.cursor() as cursor:
            db_roles.apply_roles(cursor, connection.settings_dict["NAME"])
            db_roles.apply_roles(cursor, connection.settings_dict["NAME"])
        assert grants(conn) == first
    trail = [(t, p) for t, p in first if t == "audit_accesschange"]
    assert trail == [("audit_accesschange", "SELECT")]
    assert ("auth_permission", "UPDATE") not in first
    assert ("django_content_type", "DELETE") not in first

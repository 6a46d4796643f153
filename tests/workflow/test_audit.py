"""The audit trail: append-only, chained by hash, verified, exported."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.trail import audit_record, csv_lines, verify_chain
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, UserFactory
from workflow import permissions

pytestmark = pytest.mark.django_db


def record(n: int = 3):
    actor = UserFactory(username="ada")
    cable = CableFactory()
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=actor, action="test.event", cable=cable, after={"i": i})
    return cable


def tamper(sql: str, params: list) -> None:
    """Change the trail behind the service's back, as an attacker with the database's
    superuser would (the application role the tests log in as may not): on committed
    rows, so the tests that tamper are transactional."""
    with superuser_connection() as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(sql, params)


def test_an_untouched_trail_verifies():
    record(5)

    report = verify_chain()

    assert (report.ok, report.checked) == (True, 5)


@pytest.mark.django_db(transaction=True)
def test_a_changed_entry_breaks_the_chain_there():
    record(4)
    target = AuditEvent.objects.order_by("id")[1]
    tamper("UPDATE audit_auditevent SET after = %s WHERE id = %s", ['{"i": 99}', target.pk])

    report = verify_chain()

    assert report.ok is False
    assert report.broken_at == target.pk
    assert "changed" in report.problem


@pytest.mark.django_db(transaction=True)
def test_a_removed_entry_breaks_the_chain_after_it():
    record(4)
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [ids[1]])

    report = verify_chain()

    assert (report.ok, report.broken_at) == (False, ids[2])
    assert "removed or inserted" in report.problem


def test_the_model_refuses_updates_and_deletes():
    record(1)
    event = AuditEvent.objects.get()

    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()


def test_the_database_refuses_updates_too():
    from django.db import DatabaseError

    record(1)
    # The application role lacks the privilege; a role holding it meets the trigger
    # (tests/audit/test_database_roles.py).
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET action = 'x'")


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        audit_record(actor=None, action="x")


def test_a_permission_grant_is_audited():
    cable = CableFactory()
    admin, user = UserFactory(username="boss"), UserFactory(username="rita")

    permissions.grant(permissions.REVIEW, user, cable, actor=admin)

    event = AuditEvent.objects.get(action="permission.granted")
    assert event.actor_name == "boss"
    assert event.after == {"permission": "review_cable", "to": "user:rita", "cables": [cable.pk]}


@pytest.mark.django_db(transaction=True)
def test_audit_verify_command_exits_1_on_tampering(capsys):
    record(3)
    call_command("audit_verify")
    assert "intact: 3 entries" in capsys.readouterr().out
    tamper(
        "UPDATE audit_auditevent SET actor_name = 'mallory' WHERE id = %s",
        [AuditEvent.objects.order_by("id").first().pk],
    )

    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify")

    assert exit_info.value.code == 1
    assert "BROKEN" in capsys.readouterr().err


def test_csv_export_holds_every_entry_with_json_before_and_after():
    cable = record(2)
    out = io.StringIO()
    call_command("audit_export", "--cable", cable.reference_id, stdout=out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))

    assert [r["after"] for r in rows] == ['{"i": 0}', '{"i": 1}']
    assert rows[0]["actor_name"] == "ada"
    assert "".join(csv_lines(AuditEvent.objects.all())).count("\n") == 3

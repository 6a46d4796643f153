"""The database enforces the record, whatever the service's code does.

The tests log in as the application role (tests/db_roles.py), as the service does:
decisions, audit events and published releases refuse UPDATE, DELETE and TRUNCATE;
the role may not switch a trigger off, in any way; and a deleted tail of the audit
chain, which leaves a chain that still holds together, is reported by audit_verify
against the signed checkpoint kept outside the database.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import checkpoint, db_roles
from audit.models import AuditEvent
from audit.trail import audit_record, verify_chain
from releases.models import Release, ReleaseFile
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow.models import Decision, DecisionOrigin, QCReview

pytestmark = pytest.mark.django_db

RECORD_TABLES = (
    "workflow_decision",
    "workflow_decisionorigin",
    "workflow_qcreview",
    "audit_auditevent",
    "releases_release",
    "releases_releasefile",
)


def refused(sql: str, params: list | None = None, match: str = "") -> str:
    """Run ``sql`` as the application role; it must fail.  The error, for the caller."""
    with pytest.raises(DatabaseError, match=match) as info:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    return str(info.value)


@pytest.fixture
def records():
    """A CIA referral, its audit event and a published release with one file."""
    user, cable = UserFactory(), CableFactory()
    paragraph = ParagraphFactory(cable=cable)
    decision = Decision.objects.create(
        cable=cable,
        paragraph=paragraph,
        kind=Decision.Kind.REFER,
        referral_agency="CIA",
        decided_by=user,
        decided_at=timezone.now(),
    )
    with transaction.atomic():
        event = audit_record(actor=user, action="decision.recorded", cable=cable, obj=decision)
    release = Release.objects.create(
        cable=cable,
        approved_by=user,
        approved_at=timezone.now(),
        review_authority="Authority",
        decisions_digest="0" * 64,
    )
    content = b"released text"
    ReleaseFile.objects.bulk_create(
        [
            ReleaseFile(
                release=release,
                name="release.txt",
                content_type="text/plain",
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
        ]
    )
    Release.objects.filter(pk=release.pk).update(status=Release.Status.PUBLISHED, version=1)
    return {"decision": decision, "event": event, "release": release}


def test_the_tests_log_in_as_the_application_role_which_owns_nothing():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, session_user, rolsuper, rolcreaterole, rolcreatedb, "
            "rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (db_roles.APP, db_roles.APP, False, False, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "WHERE r.rolname = current_user"
        )
        assert cursor.fetchone() == (0,)  # a member of no role
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        assert cursor.fetchone() == (0,)  # the owner of nothing
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind IN ('r', 'S')"
        )
        assert [row[0] for row in cursor.fetchall()] == [db_roles.OWNER]


def test_an_open_referral_cannot_be_turned_into_a_release(records):
    pk = records["decision"].pk
    refused(
        "UPDATE workflow_decision SET kind = 'release', referral_agency = '' WHERE id = %s",
        [pk],
        match="permission denied",
    )
    refused("DELETE FROM workflow_decision WHERE id = %s", [pk], match="permission denied")
    refused("TRUNCATE workflow_decision CASCADE", match="permission denied")
    assert Decision.objects.get(pk=pk).kind == Decision.Kind.REFER


@pytest.fixture
def decide_once_records(records):
    """Where a decision came from and a QC re-decision of it: both a record."""
    decision = records["decision"]
    origin = DecisionOrigin.objects.create(decision=decision, via=DecisionOrigin.Via.REUSE)
    review = QCReview.objects.create(
        decision=decision,
        reviewer=UserFactory(),
        kind=Decision.Kind.RELEASE,
        agrees=False,
        decided_at=timezone.now(),
    )
    return {"origin": origin, "review": review}


def test_where_a_decision_came_from_and_qc_redecisions_are_insert_and_select_only(
    decide_once_records,
):
    decision_id = decide_once_records["origin"].pk
    review_id = decide_once_records["review"].pk
    # The privileges say it first (the triggers would refuse a role that held them).
    for table, column, key in (
        ("workflow_decisionorigin", "via", "decision_id"),
        ("workflow_qcreview", "kind", "id"),
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = %s AND table_name = %s ORDER BY 1",
                [db_roles.APP, table],
            )
            assert [row[0] for row in cursor.fetchall()] == ["INSERT", "SELECT"], table
        pk = review_id if table == "workflow_qcreview" else decision_id
        refused(
            f"UPDATE {table} SET {column} = 'release' WHERE {key} = %s",  # nosec B608
            [pk],
            match="permission denied",
        )
        refused(f"DELETE FROM {table} WHERE {key} = %s", [pk], match="permission denied")  # nosec B608
        refused(f"TRUNCATE {table} CASCADE", match="permission denied")
    assert DecisionOrigin.objects.get(pk=decision_id).via == DecisionOrigin.Via.REUSE
    assert QCReview.objects.get(pk=review_id).agrees is False


def test_audit_events_refuse_update_delete_and_truncate(records):
    pk = records["event"].pk
    refused("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [pk], "permission denied")
    refused("DELETE FROM audit_auditevent WHERE id = %s", [pk], match="permission denied")
    refused("TRUNCATE audit_auditevent", match="permission denied")
    assert AuditEvent.objects.filter(pk=pk).exists()


def test_a_published_release_and_its_files_refuse_update_delete_and_truncate(records):
    pk = records["release"].pk
    refused("UPDATE releases_release SET title = 'x' WHERE id = %s", [pk], match="immutable")
    refused("DELETE FROM releases_release WHERE id = %s", [pk], match="immutable")
    refused(
        "UPDATE releases_releasefile SET content = 'x' WHERE release_id = %s", [pk], "immutable"
    )
    refused("DELETE FROM releases_releasefile WHERE release_id = %s", [pk], match="immutable")
    refused("TRUNCATE releases_releasefile", match="permission denied")
    refused("TRUNCATE releases_release CASCADE", match="permission denied")
    assert Release.objects.get(pk=pk).status == Release.Status.PUBLISHED


@pytest.mark.parametrize("table", RECORD_TABLES)
def test_the_application_role_cannot_turn_triggers_off(table):
    refused(f"ALTER TABLE {table} DISABLE TRIGGER USER", match="must be owner")
    refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL", match="must be owner")
    refused(f"ALTER TABLE {table} OWNER TO {db_roles.APP}", match="must be owner")
    refused(f"DROP TABLE {table}", match="must be owner")


def test_the_application_role_cannot_switch_to_replica_mode_or_another_role():
    refused("SET session_replication_role = replica", match="permission denied")
    refused("SET LOCAL session_replication_role = replica", match="permission denied")
    refused(f"SET ROLE {db_roles.OWNER}", match="permission denied")
    refused("SET ROLE postgres", match="permission denied")
    refused("DROP TRIGGER audit_no_update ON audit_auditevent", match="must be owner")
    replace = "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN "
    replace += "RETURN NULL; END; $$ LANGUAGE plpgsql"
    refused(replace, match="permission denied|must be owner")
    refused("CREATE TABLE mine (id int)", match="permission denied")


@pytest.mark.django_db(transaction=True)
def test_the_triggers_refuse_even_a_role_that_holds_the_privileges(records, decide_once_records):
    """Defence in depth: the superuser (triggers on) is refused too."""
    decision, event, release = records["decision"], records["event"], records["release"]
    with superuser_connection() as conn:
        for sql, params, message in (
            ("UPDATE workflow_decision SET kind = 'release' WHERE id = %s", [decision.pk],
             "append-only"),
            ("DELETE FROM workflow_decision WHERE id = %s", [decision.pk], "append-only"),
            ("TRUNCATE workflow_decision CASCADE", None, "never truncated"),
            ("UPDATE workflow_decisionorigin SET via = 'shown' WHERE decision_id = %s",
             [decision.pk], "append-only"),
            ("DELETE FROM workflow_qcreview WHERE decision_id = %s", [decision.pk],
             "append-only"),
            ("TRUNCATE workflow_qcreview", None, "never truncated"),
            ("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk], "append-only"),
            ("TRUNCATE audit_auditevent", None, "never truncated"),
            ("DELETE FROM releases_release WHERE id = %s", [release.pk], "immutable"),
            ("TRUNCATE releases_releasefile", None, "never truncated"),
            ("TRUNCATE releases_release CASCADE", None, "never truncated"),
        ):  # fmt: skip
            with pytest.raises(Exception, match=message):
                conn.execute(sql, params)
    assert Decision.objects.get(pk=decision.pk).kind == Decision.Kind.REFER


def _record(n: int) -> list[int]:
    actor, cable = UserFactory(), CableFactory()
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=actor, action="test.event", cable=cable, after={"i": i})
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_deleting_the_chains_tail_is_reported_by_audit_verify(capsys):
    ids = _record(5)
    written = checkpoint.checkpoint_write()
    assert (written["count"], written["head_id"]) == (5, ids[-1])
    call_command("audit_verify")
    assert "intact: 5 entries" in capsys.readouterr().out

    # An attacker with the superuser's access deletes the last two entries.
    with superuser_connection() as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("DELETE FROM audit_auditevent WHERE id >= %s", [ids[3]])

    # What remains is still a chain: the hash chain alone cannot tell.
    assert verify_chain().ok
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"the chain ends at #{ids[2]}" in err
    assert f"recorded #{ids[4]} with hash {written['head_hash']}" in err
    assert "rows deleted" in err


@pytest.mark.django_db(transaction=True)
def test_emptying_the_trail_is_reported_too(capsys):
    _record(2)
    checkpoint.checkpoint_write()
    with superuser_connection() as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("TRUNCATE audit_auditevent")

    with pytest.raises(SystemExit):
        call_command("audit_verify")
    assert "the chain ends nowhere (it is empty)" in capsys.readouterr().err


def test_later_entries_after_a_checkpoint_verify(capsys):
    _record(2)
    checkpoint.checkpoint_write()
    _record(3)
    call_command("audit_verify")
    assert "intact: 5 entries; the checkpoint of" in capsys.readouterr().out


def test_a_forged_checkpoint_is_refused(settings, capsys):
    _record(1)
    record = checkpoint.checkpoint_write()
    forged = {**record, "count": 0}
    with open(settings.DECLASS_AUDIT_CHECKPOINT_PATH, "a") as fh:
        fh.write(json.dumps(forged) + "\n")
    with pytest.raises(SystemExit):
        call_command("audit_verify")
    assert "bad signature" in capsys.readouterr().err


def test_the_checkpoint_task_and_command_write_a_signed_line(settings):
    from audit.tasks import audit_checkpoint_task

    _record(1)
    audit_checkpoint_task.apply()
    call_command("audit_checkpoint", stdout=open("/dev/null", "w"))  # noqa: SIM115
    lines = settings.DECLASS_AUDIT_CHECKPOINT_PATH.read_text().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[-1])
    assert record["signature"] == checkpoint.sign(record)
    assert record["count"] == 1

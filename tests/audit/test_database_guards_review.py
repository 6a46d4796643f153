"""What the database itself refuses the application role, tried the ways no other test does.

Every statement here runs as ``declass_app`` (tests/db_roles.py), the role the web
server, the workers and beat log in as: each test is a way the role could change the
record, or who may read what, and the database refuses it or records it (releases
migration 0004, audit 0008, redaction 0004, workflow 0017, ``audit.db_roles``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from audit.models import AccessChange, AuditEvent
from audit.trail import audit_record, entry_hash, verify_chain
from cables.markings import Level
from redaction.models import RedactionRule, RuleVersion
from releases.models import Release, ReleaseFile
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, QueueEntry, QueueTouched, ReviewState
from workflow.queue_index import queue_index_repair
from workflow.selectors import CableFilters, queue_page

pytestmark = pytest.mark.django_db


def run(sql: str, params: list | None = None) -> Any:
    """Run ``sql`` as the application role, in a savepoint; the first row, if any."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


def refused(sql: str, params: list | None = None, match: str | None = None) -> None:
    """``sql`` as the application role must fail."""
    with pytest.raises(DatabaseError, match=match):
        run(sql, params)


def trail_mark() -> int:
    return AccessChange.objects.aggregate(last=Max("id"))["last"] or 0


def refused_or_recorded(sql: str, params: list | None = None) -> None:
    """A change of who may read what: the database refuses it or records it."""
    mark = trail_mark()
    try:
        run(sql, params)
    except DatabaseError:
        return
    assert AccessChange.objects.filter(id__gt=mark).exists(), "changed, and nothing recorded"


@pytest.fixture
def published() -> Release:
    """A published release of a reviewed cable, with one file."""
    user, cable = UserFactory(), CableFactory()
    release = Release.objects.create(
        cable=cable,
        approved_by=user,
        approved_at=timezone.now(),
        review_authority="Authority",
        decisions_digest="0" * 64,
    )
    content = b"released text"
    ReleaseFile.objects.bulk_create(  # bulk_create: save() refuses on purpose
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
    return release


@pytest.fixture
def decided() -> dict[str, Any]:
    """A SECRET paragraph withheld in full, beside a released CONFIDENTIAL one."""
    user = UserFactory()
    cable = CableFactory(level=int(Level.S))
    secret = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.S), text="The source.")
    plain = ParagraphFactory(cable=cable, ordinal=2, level=int(Level.C), text="Plain text.")
    now = timezone.now()
    for paragraph, kind in ((secret, Decision.Kind.WITHHOLD), (plain, Decision.Kind.RELEASE)):
        Decision.objects.create(
            cable=cable,
            paragraph=paragraph,
            kind=kind,
            label="(b)(1) 1.4(c)" if kind == Decision.Kind.WITHHOLD else "",
            decided_by=user,
            decided_at=now,
        )
    return {"cable": cable, "secret": secret, "plain": plain, "user": user}


# -- Published releases -------------------------------------------------------------------


def test_a_temporary_table_cannot_add_a_file_to_a_published_release(published):
    """Without the temporary table the trigger refuses (tests/releases/
    test_withheld_text_stays_withheld.py); with it too: the function reads
    ``public.releases_release`` with the search path ``pg_catalog, public, pg_temp``."""
    with pytest.raises(DatabaseError, match="files are added only while it is pending"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE releases_release (id bigint, status varchar) ON COMMIT DROP"
            )
            cursor.execute(
                "INSERT INTO pg_temp.releases_release VALUES (%s, 'pending')", [published.pk]
            )
            cursor.execute(
                "INSERT INTO public.releases_releasefile "
                "(release_id, name, content_type, content, size, sha256) "
                "VALUES (%s, 'unredacted.txt', 'text/plain', 'the whole cable', 15, %s)",
                [published.pk, "0" * 64],
            )
    names = ReleaseFile.objects.filter(release=published).values_list("name", flat=True)
    assert sorted(names) == ["release.txt"]


# -- The reviewed text and its markings ----------------------------------------------------


def test_a_decided_paragraphs_text_cannot_be_rewritten(decided):
    plain = decided["plain"]
    refused(
        "UPDATE cables_paragraph SET text = 'Plain text. The source is named here.' WHERE id = %s",
        [plain.pk],
    )


def test_lowering_a_paragraphs_level_is_refused_or_recorded(decided):
    refused_or_recorded(
        "UPDATE cables_paragraph SET level = %s WHERE id = %s",
        [int(Level.U), decided["secret"].pk],
    )


def test_lowering_a_cables_level_is_refused_or_recorded(decided):
    refused_or_recorded(
        "UPDATE cables_cable SET level = %s, subject_level = %s WHERE id = %s",
        [int(Level.U), int(Level.U), decided["cable"].pk],
    )


def test_a_stored_cables_raw_text_cannot_be_replaced(decided):
    text = "another cable altogether"
    refused(
        "UPDATE cables_cable SET raw_text = %s, sha256 = %s WHERE id = %s",
        [text, hashlib.sha256(text.encode()).hexdigest(), decided["cable"].pk],
    )


@pytest.mark.parametrize("what", ["paragraph", "cable"])
def test_a_decided_paragraph_or_its_cable_cannot_be_deleted(decided, what):
    """The decisions' foreign keys keep them: checked at commit, here made immediate."""
    cable = decided["cable"].pk
    with pytest.raises(DatabaseError, match="foreign key"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("DELETE FROM cables_paragraph WHERE cable_id = %s", [cable])
            if what == "cable":
                cursor.execute("DELETE FROM cables_cable WHERE id = %s", [cable])
    assert Decision.objects.filter(cable_id=cable).count() == 2


# -- Who may read what --------------------------------------------------------------------


def test_a_queue_row_no_grant_holds_is_refused_or_recorded():
    """The queue page lists what its index holds (workflow.selectors.queue_page)."""
    outsider = UserFactory(username="outsider")
    Clearance.objects.create(user=outsider, level=int(Level.TS))
    cable = CableFactory(level=int(Level.C), review_state=ReviewState.DUE)
    assert not permissions.has_cable_perm(outsider, permissions.VIEW, cable)
    mark = trail_mark()
    try:
        run(
            "INSERT INTO workflow_queueentry "
            "(holder_kind, holder_id, cable_id, declass_date, open, level, origin_key) "
            "VALUES ('u', %s, %s, NULL, true, %s, 'X')",
            [outsider.pk, cable.pk, cable.level],
        )
    except DatabaseError:
        return
    ids, _ = queue_page(user=outsider, filters=CableFilters(), state="", offset=0, limit=50)
    recorded = AccessChange.objects.filter(id__gt=mark).exists()
    assert recorded or cable.pk not in ids, "the queue lists a cable no grant gives, unrecorded"


# -- The record's history -----------------------------------------------------------------


def test_a_saved_rule_version_cannot_be_rewritten():
    user = UserFactory()
    rule = RedactionRule.objects.create(name="Names", kind="terms", terms="Smith", label="(b)(6)")
    version = RuleVersion.objects.create(
        rule=rule,
        version=1,
        definition={"terms": ["Smith"]},
        changed_by=user,
        changed_at=timezone.now(),
    )
    refused(
        "UPDATE redaction_ruleversion SET definition = '{\"terms\": []}' WHERE id = %s",
        [version.pk],
    )


def test_an_audit_entry_cannot_be_backdated():
    user = UserFactory()
    with transaction.atomic():
        audit_record(actor=user, action="test.first")
    last = AuditEvent.objects.order_by("-id").first()
    backdated = AuditEvent(
        at=timezone.now() - timezone.timedelta(days=365),
        actor=user,
        actor_name=user.get_username(),
        action="decision.recorded",
        prev_hash=last.hash,
    )
    backdated.hash = entry_hash(backdated, backdated.prev_hash)
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            AuditEvent.objects.bulk_create([backdated])


def test_an_audit_entry_slipped_into_a_gap_of_the_chain_breaks_it():
    """INSERT is all the role has on the trail: an entry put, by its id, into a gap that
    a rolled-back transaction left is not part of the chain, and verify_chain says so."""
    user = UserFactory()
    with transaction.atomic():
        first = audit_record(actor=user, action="test.first")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=user, action="test.rolled-back")  # leaves a gap in the ids
        raise RuntimeError
    with transaction.atomic():
        audit_record(actor=user, action="test.second")
    forged = AuditEvent(
        id=first.pk + 1,
        at=first.at,
        actor=user,
        actor_name=user.get_username(),
        action="decision.recorded",
        prev_hash=first.hash,
    )
    forged.hash = entry_hash(forged, forged.prev_hash)
    AuditEvent.objects.bulk_create([forged])
    report = verify_chain()
    assert (report.ok, report.broken_at) == (False, first.pk + 2)


def test_the_record_tables_sequences_cannot_be_set():
    # setval is not undone by a rollback: the sequences are put back whatever happens.
    sequences = ("audit_auditevent_id_seq", "workflow_decision_id_seq")
    before = {name: run(f"SELECT last_value FROM {name}")[0] for name in sequences}  # nosec B608
    try:
        for name in sequences:
            refused("SELECT setval(%s, 9223372036854775807)", [name], match="permission denied")
        assert run("SELECT nextval('audit_auditevent_id_seq')")[0] > before[sequences[0]]
    finally:
        with superuser_connection() as conn:  # the role may not put them back itself
            for name, value in before.items():
                conn.execute("SELECT setval(%s, %s)", [name, value])


# -- Roles, schema, functions -------------------------------------------------------------


def test_the_application_role_creates_no_schema_and_no_function_of_the_schema():
    refused("CREATE SCHEMA mine", match="permission denied")
    refused(
        "CREATE FUNCTION public.mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        match="permission denied",
    )
    refused(
        "CREATE TRIGGER mine BEFORE INSERT ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
        match="permission denied|must be owner",
    )
    refused("ALTER TABLE workflow_decision ADD COLUMN x int", match="must be owner")
    refused("ALTER TABLE cables_paragraph DROP CONSTRAINT IF EXISTS x", match="must be owner")
    refused("ALTER SEQUENCE audit_auditevent_id_seq RESTART WITH 1", match="must be owner")


def test_the_owners_security_definer_functions_are_not_the_application_roles_way_in():
    """Only the band index's two functions run as the owner and are the role's to call;
    the access trail's runs as the owner but only as a trigger of a public table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.prosecdef "
            "AND has_function_privilege(current_user, p.oid, 'EXECUTE') ORDER BY 1"
        )
        callable_definers = [row[0] for row in cursor.fetchall()]
    assert callable_definers == ["cables_band_index_build()", "cables_band_index_empty()"]


def test_every_function_of_the_schema_reads_tables_through_a_fixed_search_path():
    """A temporary table comes first on a session's search path unless ``pg_temp`` is
    named, last: every function of the schema sets one that names it last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text, p.proconfig FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid "
            "AND d.deptype = 'e') ORDER BY 1"
        )
        functions = dict(cursor.fetchall())
    assert "releases_file_needs_pending()" in functions
    unfixed = {
        name: config
        for name, config in functions.items()
        if not any(
            c.startswith("search_path=pg_catalog,") and c.endswith(", pg_temp")
            for c in config or ()
        )
    }
    assert unfixed == {}


def test_a_queue_row_written_directly_is_recorded_and_the_logged_repair_drops_it():
    outsider = UserFactory(username="outsider")
    cable = CableFactory(level=int(Level.C), review_state=ReviewState.DUE)
    QueueTouched.objects.all().delete()
    mark = trail_mark()
    run(
        "INSERT INTO workflow_queueentry "
        "(holder_kind, holder_id, cable_id, declass_date, open, level, origin_key) "
        "VALUES ('u', %s, %s, NULL, true, %s, 'X')",
        [outsider.pk, cable.pk, cable.level],
    )
    recorded = AccessChange.objects.get(id__gt=mark)
    assert (recorded.table_name, recorded.operation) == ("workflow_queueentry", "INSERT")
    assert recorded.after["holder_id"] == outsider.pk
    assert list(QueueTouched.objects.values_list("cable_id", flat=True)) == [cable.pk]
    assert queue_index_repair(every_cable=False) == 1
    assert not QueueEntry.objects.filter(cable=cable).exists()


def test_a_grant_writes_its_queue_rows_unrecorded_by_the_queues_own_trigger():
    """The grant tables' triggers record the grant; the queue rows they write are not
    recorded a second time."""
    reviewer = UserFactory()
    cable = CableFactory(level=int(Level.C), review_state=ReviewState.DUE)
    mark = trail_mark()
    permissions.grant(permissions.REVIEW, reviewer, cable)
    assert QueueEntry.objects.filter(cable=cable).exists()
    tables = set(AccessChange.objects.filter(id__gt=mark).values_list("table_name", flat=True))
    assert "workflow_queueentry" not in tables
    assert tables


def test_a_rule_versions_author_may_be_emptied_and_never_changed():
    author, other = UserFactory(), UserFactory()
    rule = RedactionRule.objects.create(name="Names", kind="terms", terms="Smith", label="(b)(6)")
    version = RuleVersion.objects.create(
        rule=rule, version=1, definition={"terms": ["Smith"]}, changed_by=author,
        changed_at=timezone.now(),
    )  # fmt: skip
    refused(
        "UPDATE redaction_ruleversion SET changed_by_id = %s WHERE id = %s",
        [other.pk, version.pk],
        match="a saved version is never changed",
    )
    # What Django runs when the author is deleted (SET_NULL): the one change allowed.
    run(
        "UPDATE redaction_ruleversion SET changed_by_id = NULL WHERE changed_by_id = %s",
        [author.pk],
    )
    version.refresh_from_db()
    assert (version.changed_by_id, version.definition) == (None, {"terms": ["Smith"]})


def test_an_entry_dated_before_the_one_it_follows_breaks_the_chain():
    """Within the database's margin for clocks (five minutes) an entry can still be
    misdated: the chain's verification reports it."""
    user = UserFactory()
    with transaction.atomic():
        first = audit_record(actor=user, action="test.first")
    misdated = AuditEvent(
        at=first.at - timezone.timedelta(minutes=1),
        actor=user,
        actor_name=user.get_username(),
        action="decision.recorded",
        prev_hash=first.hash,
    )
    misdated.hash = entry_hash(misdated, misdated.prev_hash)
    AuditEvent.objects.bulk_create([misdated])
    report = verify_chain()
    assert (report.ok, report.broken_at) == (False, misdated.pk)
    assert "before the entry before it" in report.problem


def test_the_application_role_stores_a_cables_declassification_status():
    """The one part of a cable it may change (``cables.declass_store``)."""
    cable = CableFactory()
    run("UPDATE cables_cable SET declass_version = 'x' WHERE id = %s", [cable.pk])
    refused("UPDATE cables_cable SET subject = 'other' WHERE id = %s", [cable.pk])


@pytest.mark.django_db(transaction=True)  # the superuser's connection sees what committed
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cables_cable SET level = 0 WHERE id = %s",
        "UPDATE cables_cable SET raw_text = 'other', sha256 = '' WHERE id = %s",
        "UPDATE cables_paragraph SET text = 'other' WHERE cable_id = %s",
    ],
)
def test_a_role_given_update_on_the_text_is_still_refused(statement):
    """Should a broader GRANT ever be given, the triggers (cables migration 0006) refuse
    every role but the owner and a superuser; the grant is rolled back with the test."""
    cable = CableFactory()
    ParagraphFactory(cable=cable, ordinal=1)
    with superuser_connection() as conn, pytest.raises(psycopg.errors.RaiseException):
        with conn.transaction(force_rollback=True):
            conn.execute("GRANT UPDATE ON cables_cable, cables_paragraph TO declass_app")
            conn.execute("SET LOCAL ROLE declass_app")
            conn.execute(statement, [cable.pk])

"""Review of the day's changes: each defect shown as the person who would meet it, and
now guarding its fix.

The tests log in to the database as the application role, as the service does
(tests/db_roles.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.urls import reverse

from audit.models import AccessChange
from cables.markings import Level
from tests.factories import UserFactory
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


def _last_trail_id() -> int:
    return AccessChange.objects.aggregate(last=Max("id"))["last"] or 0


@pytest.fixture
def bob() -> Any:
    user = UserFactory(username="bob", is_staff=True)
    Clearance.objects.create(user=user, level=int(Level.C))
    return user


def test_the_application_role_cannot_forge_a_row_of_the_access_trail() -> None:
    """Someone holding the service's database login (a compromised worker, a leaked
    DATABASE_URL) writes a row that says a clearance was lowered by the superuser."""
    mark = _last_trail_id()
    forged = False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION pg_temp.forge() RETURNS trigger AS $$ BEGIN "
                "INSERT INTO public.audit_accesschange "
                "(at, db_role, session_role, table_name, operation, txid) VALUES "
                "(now() - interval '3 days', 'postgres', 'postgres', 'workflow_clearance', "
                "'DELETE', 1); RETURN NULL; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute("CREATE TEMPORARY TABLE forge_here (x int)")
            cursor.execute(
                "CREATE TRIGGER forge AFTER INSERT ON forge_here "
                "FOR EACH ROW EXECUTE FUNCTION pg_temp.forge()"
            )
            cursor.execute("INSERT INTO forge_here VALUES (1)")
            forged = AccessChange.objects.filter(id__gt=mark, db_role="postgres").exists()
    except DatabaseError:
        forged = False
    assert not forged, "a row claiming the superuser's hand was written by the app role"


def test_a_permission_cannot_be_renamed_under_a_user(client, bob) -> None:
    """Bob holds a harmless permission; the application role tries to rename it into the
    audit page's own permission.  The permissions and content types through which every
    grant is resolved take no UPDATE or DELETE from it (audit.db_roles.REFERENCE_TABLES)."""
    harmless = Permission.objects.get(codename="view_clearance")
    bob.user_permissions.add(harmless)
    client.force_login(bob)
    assert client.get(reverse("workflow:audit_access_changes")).status_code == 403

    for statement in (
        "UPDATE auth_permission SET codename = 'view_auditevent_old' WHERE id = %s",
        "DELETE FROM auth_permission WHERE id = %s",
        "UPDATE django_content_type SET model = 'auditevent' WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="permission denied"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [harmless.pk])

    assert client.get(reverse("workflow:audit_access_changes")).status_code == 403


def test_a_role_renamed_leaves_a_row_in_the_trail() -> None:
    """Roles are groups, found by name: a group renamed under its members is a change of
    who may do what, and the trail says so, with the login that did it."""
    from django.contrib.auth.models import Group

    from audit import db_roles

    desk = Group.objects.create(name="desk")
    mark = _last_trail_id()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE auth_group SET name = 'admin desk' WHERE id = %s", [desk.pk])

    row = AccessChange.objects.get(id__gt=mark)
    assert (row.table_name, row.operation, row.db_role) == ("auth_group", "UPDATE", db_roles.APP)
    assert (row.before["name"], row.after["name"]) == ("desk", "admin desk")


@pytest.fixture
def on_commit_runs_at_once(monkeypatch):
    """The queued chunk tasks (eager in tests) run at once, as after a real commit."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def test_an_active_rule_deleted_in_the_admin_leaves_no_proposal(
    client, on_commit_runs_at_once
) -> None:
    """The administrator deletes a live rule from the rule admin (the delete permission
    is theirs); the reviewers must no longer be shown what it proposed."""
    from cables.models import Cable
    from redaction.models import ProposedRedaction, RedactionRule
    from redaction.proposals import proposals_apply_within
    from redaction.rule_services import rule_save
    from tests.factories import CableFactory, ParagraphFactory

    admin_user = UserFactory(username="ada", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    cable = CableFactory(origin="Embassy Rome", level=int(Level.S))
    ParagraphFactory(cable=cable, ordinal=1, text="Operation NIGHTJAR.", level=int(Level.C))
    rule = RedactionRule(name="nightjar", kind="terms", terms="NIGHTJAR", label="(b)(1) 1.4(d)")
    rule_save(rule=rule, user=admin_user)
    client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))
    assert cable.proposals.count() == 1

    answer = client.post(
        reverse("admin:redaction_redactionrule_delete", args=[rule.pk]), {"post": "yes"}
    )
    assert answer.status_code == 302
    assert not RedactionRule.objects.filter(pk=rule.pk).exists()

    stored = sorted(ProposedRedaction.objects.values_list("paragraph_id", "start", "rules"))
    savepoint = transaction.savepoint()
    try:
        ProposedRedaction.objects.all().delete()
        proposals_apply_within(list(Cable.objects.values_list("pk", flat=True)))
        fresh = sorted(ProposedRedaction.objects.values_list("paragraph_id", "start", "rules"))
    finally:
        transaction.savepoint_rollback(savepoint)
    assert stored == fresh, f"proposals of the deleted rule {rule.pk} remain: {stored}"


def test_the_auditor_reads_a_role_renamed_in_words(client) -> None:
    from django.contrib.auth.models import Group

    auditor = UserFactory(username="audra")
    auditor.groups.add(Group.objects.get(name="auditor"))
    desk = Group.objects.create(name="desk")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE auth_group SET name = 'admin desk' WHERE id = %s", [desk.pk])
    client.force_login(auditor)

    body = client.get(reverse("workflow:audit_access_changes"), {"table": "auth_group"})

    assert body.status_code == 200
    text = body.content.decode()
    assert "role named &#x27;desk&#x27;" in text and "role named &#x27;admin desk&#x27;" in text

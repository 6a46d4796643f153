"""Clearance and group changes made behind the product are audited too (issue "Nothing
above your clearance": separation of duties).

What a person with a shell, a script or a data migration does (``user.groups.add``,
``Clearance.objects.update_or_create``, a delete) leaves a ``*.changed_directly``
entry with before and after; what the security officer does through the admin
(``permissions.clearance_set`` / ``groups_set``) is recorded once, as before; and the
auditor finds both on the audit page.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from audit.models import AuditEvent
from audit.trail import verify_chain
from cables.markings import Level
from tests.factories import UserFactory
from workflow import permissions, security_audit
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


def entries(action: str) -> list[tuple[str, object, object]]:
    rows = AuditEvent.objects.filter(action=action).order_by("id")
    return [(e.actor_name, e.before, e.after) for e in rows]


def test_groups_added_in_a_shell_are_audited_with_before_and_after():
    rita = UserFactory(username="rita")
    reviewer, admin = Group.objects.get(name="reviewer"), Group.objects.get(name="admin")
    rita.groups.add(reviewer)

    rita.groups.add(admin)

    assert entries("groups.changed_directly") == [
        (
            "system",
            {"user": "rita", "groups": []},
            {"user": "rita", "groups": ["reviewer"], "via": "outside the admin"},
        ),
        (
            "system",
            {"user": "rita", "groups": ["reviewer"]},
            {"user": "rita", "groups": ["admin", "reviewer"], "via": "outside the admin"},
        ),
    ]
    event = AuditEvent.objects.filter(action="groups.changed_directly").last()
    assert (event.object_type, event.object_id) == ("User", str(rita.pk))


def test_from_the_groups_side_removing_and_clearing_are_audited_for_each_user():
    rita, bob = UserFactory(username="rita"), UserFactory(username="bob")
    admin = Group.objects.get(name="admin")
    admin.user_set.add(rita, bob)
    before = AuditEvent.objects.count()

    admin.user_set.remove(rita)
    admin.user_set.clear()

    new = AuditEvent.objects.order_by("id")[before:]
    assert [(e.before["user"], e.before["groups"], e.after["groups"]) for e in new] == [
        ("rita", ["admin"], []),
        ("bob", ["admin"], []),
    ]


def test_adding_a_group_the_user_already_holds_records_nothing():
    rita = UserFactory(username="rita")
    reviewer = Group.objects.get(name="reviewer")
    rita.groups.add(reviewer)
    count = AuditEvent.objects.count()

    rita.groups.add(reviewer)

    assert AuditEvent.objects.count() == count


def test_a_clearance_set_in_a_script_is_audited_each_time_it_changes():
    rita = UserFactory(username="rita")

    Clearance.objects.update_or_create(user=rita, defaults={"level": int(Level.C)})
    Clearance.objects.update_or_create(user=rita, defaults={"level": int(Level.TS)})
    Clearance.objects.update_or_create(user=rita, defaults={"level": int(Level.TS)})  # same
    Clearance.objects.filter(user=rita).delete()

    levels = [(b["level"], a["level"]) for _, b, a in entries("clearance.changed_directly")]
    assert levels == [
        (None, "CONFIDENTIAL"),
        ("CONFIDENTIAL", "TOP SECRET"),
        ("TOP SECRET", None),
    ]
    assert {actor for actor, _, _ in entries("clearance.changed_directly")} == {"system"}
    assert verify_chain().ok


def test_changes_through_the_security_officer_are_recorded_once_not_twice():
    sol, rita = UserFactory(username="sol"), UserFactory(username="rita")

    permissions.clearance_set(actor=sol, user=rita, level=int(Level.S))
    permissions.clearance_set(actor=sol, user=rita, level=None)
    permissions.groups_set(actor=sol, user=rita, groups=[Group.objects.get(name="reviewer")])

    assert [a for a, _, _ in entries("clearance.changed")] == ["sol", "sol"]
    assert [a for a, _, _ in entries("groups.changed")] == ["sol"]
    assert entries("clearance.changed_directly") == []
    assert entries("groups.changed_directly") == []


def test_a_data_migration_changing_groups_and_clearances_is_audited():
    """As ``migrate`` runs a data migration: historical models, other classes than the
    real ones, seen while migrating (pre_migrate connects, post_migrate disconnects)."""
    rita = UserFactory(username="rita")
    state_apps = MigrationExecutor(connection).loader.project_state().apps
    historical_user = state_apps.get_model("auth", "User")
    historical_group = state_apps.get_model("auth", "Group")
    historical_clearance = state_apps.get_model("workflow", "Clearance")

    security_audit.listen_while_migrating()
    try:
        user = historical_user.objects.get(pk=rita.pk)
        user.groups.add(historical_group.objects.get(name="auditor"))
        historical_clearance.objects.create(user_id=rita.pk, level=int(Level.S))
    finally:
        security_audit.stop_listening_after_migrating()
    Clearance.objects.filter(user=rita).update(level=int(Level.C))  # no signal: not seen

    assert [(b["groups"], a["groups"]) for _, b, a in entries("groups.changed_directly")] == [
        ([], ["auditor"])
    ]
    assert [(b["level"], a["level"]) for _, b, a in entries("clearance.changed_directly")] == [
        (None, "SECRET")
    ]


def test_after_migrating_only_the_real_models_are_listened_to():
    from django.db.models.signals import m2m_changed, post_delete

    security_audit.listen_while_migrating()
    security_audit.stop_listening_after_migrating()

    # A catch-all receiver would cost every other model its fast deletes and adds.
    assert not post_delete.has_listeners(Group)
    assert not m2m_changed.has_listeners(Group.permissions.through)


def test_the_auditor_sees_changes_made_outside_the_admin_on_the_audit_page(client):
    auditor = UserFactory(username="aud")
    auditor.groups.add(Group.objects.get(name="auditor"))
    rita = UserFactory(username="rita")
    Clearance.objects.create(user=rita, level=int(Level.TS))
    client.force_login(auditor)

    page = client.get(reverse("workflow:audit"), {"action": "clearance"}).content.decode()

    assert "clearance.changed_directly" in page and "TOP SECRET" in page and "rita" in page

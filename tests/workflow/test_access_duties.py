"""Issue "Nothing above your clearance" (2, separation of duties): nobody changes their
own clearance, groups or grants; the security officer changes other people's, and
every change is audited with before and after and shown on the audit page.

Each test is a person at the admin (or the audit page), logged in as themselves.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


def person(username: str, group: str, level: Level = Level.C):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    Clearance.objects.create(user=user, level=int(level))
    return user


def clearance_url(user) -> str:
    return reverse("admin:workflow_clearance_change", args=[user.pk])


def test_an_admin_cannot_raise_their_own_clearance(client):
    ada = person("ada", "admin")
    client.force_login(ada)

    response = client.post(clearance_url(ada), {"level": int(Level.TS)})

    assert response.status_code == 403
    ada.clearance.refresh_from_db()
    assert ada.clearance.level == int(Level.C)


def test_an_admin_cannot_change_anyone_elses_clearance_either(client):
    ada, bob = person("ada", "admin"), person("bob", "reviewer")
    client.force_login(ada)

    response = client.post(clearance_url(bob), {"level": int(Level.TS)})

    assert response.status_code == 403
    bob.clearance.refresh_from_db()
    assert bob.clearance.level == int(Level.C)


def test_a_security_officer_cannot_raise_their_own_clearance(client):
    sol = person("sol", "security officer")
    client.force_login(sol)

    changed = client.post(clearance_url(sol), {"level": int(Level.TS)})
    Clearance.objects.filter(user=sol).delete()
    added = client.post(
        reverse("admin:workflow_clearance_add"), {"user": sol.pk, "level": int(Level.TS)}
    )

    assert changed.status_code == 403
    assert added.status_code == 200  # the form again, refused
    assert "nobody changes their own clearance" in added.content.decode()
    assert not Clearance.objects.filter(user=sol).exists()
    assert not AuditEvent.objects.filter(action="clearance.changed").exists()


def test_the_security_officer_changes_a_clearance_audited_and_on_the_audit_page(client):
    sol, bob = person("sol", "security officer"), person("bob", "reviewer")
    auditor = person("aud", "auditor")
    client.force_login(sol)

    response = client.post(clearance_url(bob), {"level": int(Level.S)})

    assert response.status_code == 302
    bob.clearance.refresh_from_db()
    assert bob.clearance.level == int(Level.S)
    event = AuditEvent.objects.get(action="clearance.changed")
    assert event.actor_name == "sol"
    assert event.before == {"user": "bob", "level": "CONFIDENTIAL"}
    assert event.after == {"user": "bob", "level": "SECRET"}
    client.force_login(auditor)
    page = client.get(reverse("workflow:audit"), {"action": "clearance"}).content.decode()
    assert "clearance.changed" in page and "CONFIDENTIAL" in page and "SECRET" in page


def test_a_new_clearance_is_audited_too(client):
    sol, new = person("sol", "security officer"), UserFactory(username="newcomer")
    client.force_login(sol)

    response = client.post(
        reverse("admin:workflow_clearance_add"), {"user": new.pk, "level": int(Level.C)}
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="clearance.changed")
    assert (event.before, event.after) == (
        {"user": "newcomer", "level": None},
        {"user": "newcomer", "level": "CONFIDENTIAL"},
    )


def user_form(client, user) -> dict:
    """The user's change form as the browser would post it back."""
    response = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if name in ("groups", "user_permissions"):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif name in ("last_login", "date_joined"):
            data[f"{name}_0"], data[f"{name}_1"] = value.date(), value.time()
        else:
            data[name] = value
    return data


def test_nobody_adds_themselves_to_a_group(client):
    sol = person("sol", "security officer")
    admin_group = Group.objects.get(name="admin")
    client.force_login(sol)

    data = user_form(client, sol)
    response = client.post(
        reverse("admin:auth_user_change", args=[sol.pk]),
        {**data, "groups": [admin_group.pk, *sol.groups.values_list("pk", flat=True)]},
    )

    assert response.status_code in (200, 302)
    assert list(sol.groups.values_list("name", flat=True)) == ["security officer"]
    assert not AuditEvent.objects.filter(action="groups.changed").exists()


def test_the_security_officer_changes_someone_elses_groups_audited(client):
    sol, bob = person("sol", "security officer"), person("bob", "reviewer")
    auditor = person("aud", "auditor")
    editor = Group.objects.get(name="rule editor")
    client.force_login(sol)

    data = user_form(client, bob)
    response = client.post(
        reverse("admin:auth_user_change", args=[bob.pk]),
        {**data, "groups": [editor.pk]},
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(bob.groups.values_list("name", flat=True)) == ["rule editor"]
    event = AuditEvent.objects.get(action="groups.changed")
    assert event.actor_name == "sol"
    assert event.before == {"user": "bob", "groups": ["reviewer"]}
    assert event.after == {"user": "bob", "groups": ["rule editor"]}
    client.force_login(auditor)
    page = client.get(reverse("workflow:audit"), {"action": "groups"}).content.decode()
    assert "groups.changed" in page and "rule editor" in page


def test_the_security_officer_cannot_make_anyone_a_superuser(client):
    sol, bob = person("sol", "security officer"), person("bob", "reviewer")
    client.force_login(sol)

    data = user_form(client, bob)
    client.post(reverse("admin:auth_user_change", args=[bob.pk]), {**data, "is_superuser": "on"})

    bob.refresh_from_db()
    assert not bob.is_superuser


def test_an_admin_cannot_change_groups_at_all(client):
    ada, bob = person("ada", "admin"), person("bob", "reviewer")
    client.force_login(ada)

    response = client.get(reverse("admin:auth_user_change", args=[bob.pk]))

    assert response.status_code == 403


def test_nobody_grants_to_themselves_or_to_a_group_they_are_in():
    ada = person("ada", "admin")
    desk = Group.objects.create(name="desk")
    ada.groups.add(desk)
    cable = CableFactory()

    with pytest.raises(permissions.SelfChangeRefused):
        permissions.grant(permissions.VIEW, ada, cable, actor=ada)
    with pytest.raises(permissions.SelfChangeRefused):
        permissions.grant(permissions.VIEW, desk, cable, actor=ada)
    permissions.grant(permissions.VIEW, ada, cable, actor=person("sol", "security officer"))
    assert permissions.has_cable_perm(ada, permissions.VIEW, cable)


def test_the_security_officer_cannot_change_a_superusers_account(client):
    sol = person("sol", "security officer")
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(sol)

    response = client.post(
        reverse("admin:auth_user_change", args=[boss.pk]), {"username": "boss", "groups": []}
    )

    boss.refresh_from_db()
    assert response.status_code == 403 and boss.is_superuser


def test_deleting_clearances_in_bulk_with_ones_own_among_them_deletes_none(client):
    bob = person("bob", "reviewer")  # first in line
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    Clearance.objects.create(user=boss, level=int(Level.TS))
    client.force_login(boss)

    response = client.post(
        reverse("admin:workflow_clearance_changelist"),
        {"action": "delete_selected", "_selected_action": [bob.pk, boss.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert Clearance.objects.filter(user__in=[boss, bob]).count() == 2
    assert not AuditEvent.objects.filter(action="clearance.changed").exists()

"""The audit page's tab "Changes the database recorded", used as its readers use it.

The security officer changes a reviewer's clearance with the officer's form in the
admin; the change is in the chained trail, as before, and in the database's own
trail, which the officer (who also holds the auditor role: the page is the audit
trail's, and asks for what the audit page asks) reads through the browser's requests.
A reviewer, who may not read the audit trail, is refused.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AccessChange, AuditEvent
from audit.trail import verify_chain
from cables.markings import Level
from cables.models import Cable
from tests.factories import CableFactory, UserFactory
from workflow.models import CableUserObjectPermission, Clearance

pytestmark = pytest.mark.django_db

PAGE = reverse("workflow:audit_access_changes")


def person(username: str, *groups: str, level: Level = Level.C) -> Any:
    user = UserFactory(username=username, is_staff=True)
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    Clearance.objects.create(user=user, level=int(level))
    return user


def test_the_officer_changes_a_clearance_and_reads_it_in_both_trails(client):
    sol = person("sol", "security officer", "auditor")
    bob = person("bob", "reviewer")
    client.force_login(sol)

    response = client.post(
        reverse("admin:workflow_clearance_change", args=[bob.pk]), {"level": int(Level.S)}
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="clearance.changed")
    assert (event.actor_name, event.before, event.after) == (
        "sol",
        {"user": "bob", "level": "CONFIDENTIAL"},
        {"user": "bob", "level": "SECRET"},
    )
    assert verify_chain().ok
    change = AccessChange.objects.filter(table_name="workflow_clearance").latest("id")
    assert (change.operation, change.before, change.after) == (
        "UPDATE",
        {"user_id": bob.pk, "level": int(Level.C)},
        {"user_id": bob.pk, "level": int(Level.S)},
    )

    audit_page = client.get(reverse("workflow:audit")).content.decode()
    assert f'href="{PAGE}"' in audit_page and "Changes the database recorded" in audit_page
    response = client.get(PAGE, {"table": "workflow_clearance"})
    assert response.status_code == 200
    page = response.content.decode()
    first = page.index(f"<td>{change.pk}</td>")
    shown = page[first : page.index("</tr>", first)]
    for text in ("Changed", "<td>bob</td>", "clearance CONFIDENTIAL", "clearance SECRET"):
        assert text in shown, text
    assert "declass_app" in shown and str(change.txid) in shown


def test_the_page_lists_newest_first_and_filters_by_table(client):
    auditor = person("aud", "auditor")
    bob = person("bob")
    Clearance.objects.filter(user=bob).update(level=int(Level.TS))
    bob.groups.add(Group.objects.get(name="reviewer"))
    client.force_login(auditor)

    page = client.get(PAGE).content.decode()
    membership = AccessChange.objects.filter(table_name="auth_user_groups").latest("id")
    clearance = AccessChange.objects.filter(table_name="workflow_clearance").latest("id")
    assert page.index(f"<td>{membership.pk}</td>") < page.index(f"<td>{clearance.pk}</td>")
    assert "role reviewer" in page and "clearance TOP SECRET" in page

    only_roles = client.get(PAGE, {"table": "auth_user_groups"}).content.decode()
    assert f"<td>{membership.pk}</td>" in only_roles
    assert f"<td>{clearance.pk}</td>" not in only_roles
    assert "clearance TOP SECRET" not in only_roles


def test_a_reviewer_or_a_security_officer_alone_may_not_read_it(client):
    """The same check as the audit page: those refused there are refused here."""
    for name, group in (("rita", "reviewer"), ("sol", "security officer")):
        client.force_login(person(name, group))
        assert client.get(reverse("workflow:audit")).status_code == 403
        assert client.get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the login page


def _changes(n: int) -> None:
    """``n`` changes of each kind the page names: a clearance, a role, a cable grant,
    an object permission, a role's permission and a user's flag."""
    view = Permission.objects.get(content_type__app_label="cables", codename="view_cable")
    cable_type = ContentType.objects.get_for_model(Cable)
    for _ in range(n):
        user = UserFactory()
        Clearance.objects.create(user=user, level=int(Level.S))
        user.groups.add(Group.objects.get(name="reviewer"))
        cable = CableFactory()
        CableUserObjectPermission.objects.create(user=user, content_object=cable, permission=view)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO guardian_userobjectpermission "
                "(object_pk, content_type_id, permission_id, user_id) VALUES (%s, %s, %s, %s)",
                [str(cable.pk), cable_type.pk, view.pk, user.pk],
            )
        type(user).objects.filter(pk=user.pk).update(is_staff=True)
    Group.objects.get(name="auditor").permissions.add(view)


def _queries(client: Any) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_number_of_queries_does_not_grow_with_the_rows(client):
    client.force_login(person("aud", "auditor"))
    _changes(1)
    few, _ = _queries(client)
    _changes(12)
    many, page = _queries(client)

    assert many == few
    cable = Cable.objects.latest("id")
    assert f"cables.view_cable on cable {cable.reference_id}" in page
    assert "superuser: no, staff: yes, active: yes" in page
    assert "role auditor" in page  # the holder of a role's permission


def test_a_removed_grant_names_what_it_gave_and_pages_go_back_in_time(client):
    client.force_login(person("aud", "auditor"))
    bob = person("bob")
    cable = CableFactory(reference_id="06ROME123")
    view = Permission.objects.get(content_type__app_label="cables", codename="view_cable")
    CableUserObjectPermission.objects.create(user=bob, content_object=cable, permission=view)
    CableUserObjectPermission.objects.filter(user=bob).delete()

    page = client.get(PAGE, {"table": "workflow_cableuserobjectpermission"}).content.decode()
    assert page.count("cables.view_cable on cable 06ROME123") == 2  # added, then removed
    assert "Removed" in page and "Added" in page

    for i in range(101):
        Clearance.objects.filter(user=bob).update(level=int(Level.U) + i % 2)
    total = AccessChange.objects.count()
    last = client.get(PAGE, {"page": (total + 99) // 100}).content.decode()
    assert f"<td>{AccessChange.objects.order_by('id').first().pk}</td>" in last
    assert client.get(PAGE, {"page": 10_000}).status_code == 404


def test_a_login_leaves_no_row(client):
    bob = person("bob", "reviewer")
    before = AccessChange.objects.count()

    response = client.post(reverse("login"), {"username": "bob", "password": "pw-for-tests-only"})

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.last_login is not None
    assert AccessChange.objects.count() == before

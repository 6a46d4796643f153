"""People in the admin (issue "An office can run it without a shell": People; issue
"Nothing above your clearance": separation of duties through passwords).

A security officer creates a person with roles and clearance in one form; the person
chooses their password through an e-mailed link.  Nobody but a superuser sets or
resets another person's password: a security officer who could would log in as an
admin and hold the admin's rights.  Each test is a person at the admin, logged in as
themselves (the web client), except the newcomer, who follows the e-mailed link.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from tests.factories import UserFactory
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
User = get_user_model()


def person(username: str, group: str, level: Level = Level.C):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    Clearance.objects.create(user=user, level=int(level))
    return user


ADD_URL = "/admin/auth/user/add/"


def new_person(**overrides) -> dict:
    data = {
        "username": "rita",
        "first_name": "Rita",
        "last_name": "Reyes",
        "email": "rita@example.org",
        "roles": [Group.objects.get(name="reviewer").pk],
        "clearance": int(Level.C),
    }
    return {**data, **overrides}


def test_the_security_officer_creates_a_reviewer_with_roles_and_clearance_in_one_form(client):
    sol = person("sol", "security officer")
    client.force_login(sol)

    form = client.get(ADD_URL)
    assert form.status_code == 200
    page = form.content.decode()
    # Roles are checkboxes named after the roles; the clearance is chosen by name.
    roles = re.findall(
        r'type="checkbox" name="roles" value="\d+" id="id_roles_\d+">\s*([^<]+)<', page
    )
    assert {r.strip() for r in roles} >= {"reviewer", "release authority", "security officer"}
    for name in ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"):
        assert f">{name}</option>" in page
    assert 'name="password1"' not in page  # a security officer sets no password

    response = client.post(ADD_URL, new_person())

    assert response.status_code == 302, response.content.decode()[-2000:]
    rita = User.objects.get(username="rita")
    assert list(rita.groups.values_list("name", flat=True)) == ["reviewer"]
    assert Clearance.objects.get(user=rita).level == int(Level.C)
    assert (rita.first_name, rita.email) == ("Rita", "rita@example.org")
    assert not rita.has_usable_password()
    assert not rita.is_staff  # reviewers work on the service's pages, not the admin
    events = {e.action: e for e in AuditEvent.objects.filter(object_id=str(rita.pk))}
    assert set(events) == {"user.created", "groups.changed", "clearance.changed"}
    assert all(e.actor_name == "sol" for e in events.values())
    assert events["groups.changed"].after == {"user": "rita", "groups": ["reviewer"]}
    assert events["clearance.changed"].after == {"user": "rita", "level": "CONFIDENTIAL"}


def test_the_newcomer_chooses_their_password_through_the_emailed_link_once(
    client, django_capture_on_commit_callbacks
):
    sol = person("sol", "security officer")
    client.force_login(sol)
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves on commit
        client.post(ADD_URL, new_person())
    client.logout()

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rita@example.org"]
    link = re.search(r"https?://\S+/welcome/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get(f"/{path}", follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new secret 42", "new_password2": "a long new secret 42"},
    )

    assert response.status_code == 302
    assert User.objects.get(username="rita").check_password("a long new secret 42")
    login = client.post(reverse("login"), {"username": "rita", "password": "a long new secret 42"})
    assert login.status_code == 302 and "/login/" not in login["Location"]
    # The link is spent: a second use shows the invalid-link page, with no form.
    client.logout()
    again = client.get(f"/{path}", follow=True).content.decode()
    assert "new_password1" not in again


def test_a_password_posted_by_a_security_officer_is_ignored(client):
    sol = person("sol", "security officer")
    client.force_login(sol)

    client.post(ADD_URL, new_person(password1="officer-knows-1", password2="officer-knows-1"))

    rita = User.objects.get(username="rita")
    assert not rita.has_usable_password() and not rita.check_password("officer-knows-1")


def test_without_a_password_an_email_address_is_needed(client):
    sol = person("sol", "security officer")
    client.force_login(sol)

    response = client.post(ADD_URL, new_person(email=""))

    assert response.status_code == 200
    assert "An e-mail address is needed" in response.content.decode()
    assert not User.objects.filter(username="rita").exists()


def test_roles_that_work_in_the_admin_make_the_person_staff(client):
    sol = person("sol", "security officer")
    client.force_login(sol)

    client.post(ADD_URL, new_person(roles=[Group.objects.get(name="rule editor").pk], clearance=0))

    rita = User.objects.get(username="rita")
    assert rita.is_staff and not rita.is_superuser
    assert Clearance.objects.get(user=rita).level == int(Level.U)


def test_a_superuser_may_set_the_password_when_creating(client):
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(boss)

    response = client.post(
        ADD_URL,
        new_person(email="", password1="a long new secret 42", password2="a long new secret 42"),
    )

    assert response.status_code == 302
    assert User.objects.get(username="rita").check_password("a long new secret 42")
    assert mail.outbox == []


def test_an_admin_cannot_create_people(client):
    ada = person("ada", "admin")
    client.force_login(ada)

    response = client.post(ADD_URL, new_person())

    assert response.status_code == 403
    assert not User.objects.filter(username="rita").exists()


def test_the_security_officer_cannot_reset_an_admins_password_and_log_in_as_them(client):
    sol, ada = person("sol", "security officer"), person("ada", "admin")
    client.force_login(sol)
    password_url = reverse("admin:auth_user_password_change", args=[ada.pk])

    change_page = client.get(reverse("admin:auth_user_change", args=[ada.pk])).content.decode()
    shown = client.get(password_url)
    posted = client.post(
        password_url,
        {
            "password1": "taken over 12345",
            "password2": "taken over 12345",
            "usable_password": "true",
        },
    )

    assert "../password/" not in change_page and 'name="password"' not in change_page
    assert shown.status_code == 403 and posted.status_code == 403
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD) and not ada.check_password("taken over 12345")
    client.logout()
    login = client.post(reverse("login"), {"username": "ada", "password": "taken over 12345"})
    assert login.status_code == 200  # the login form again, refused


def test_nor_their_own_password_without_the_old_one(client):
    sol = person("sol", "security officer")
    client.force_login(sol)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[sol.pk]),
        {"password1": "another one 12345", "password2": "another one 12345"},
    )

    assert response.status_code == 403
    sol.refresh_from_db()
    assert sol.check_password(PASSWORD)


def test_the_security_officer_cannot_disable_a_password_through_the_change_form(client):
    sol, ada = person("sol", "security officer"), person("ada", "admin")
    client.force_login(sol)
    form = client.get(reverse("admin:auth_user_change", args=[ada.pk])).context["adminform"].form

    assert "password" not in form.fields and "usable_password" not in form.fields


def test_a_superuser_resets_a_password(client):
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    ada = person("ada", "admin")
    client.force_login(boss)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[ada.pk]),
        {
            "password1": "a long new secret 42",
            "password2": "a long new secret 42",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.check_password("a long new secret 42")


def test_the_clearance_form_picks_the_user_by_name_with_autocomplete(client):
    sol = person("sol", "security officer")
    UserFactory(username="rita", first_name="Rita", last_name="Reyes")
    UserFactory(username="bob")
    client.force_login(sol)

    page = client.get(reverse("admin:workflow_clearance_add")).content.decode()
    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "workflow", "model_name": "clearance", "field_name": "user", "term": "reye"},
    )

    assert "admin-autocomplete" in page and "data-ajax--url" in page
    assert 'id="lookup_id_user"' not in page  # no raw-id lookup asking for a number
    assert found.status_code == 200
    assert [r["text"] for r in found.json()["results"]] == ["rita"]

"""The admin's links as each person follows them: none leads to a page that refuses them.

- Staff status follows the roles on a person's user page, as on the add form: a role
  given there that works in the admin brings the Admin link; one taken away takes it.
- A proposed redaction's cable is linked to the cable's page (view only) for the rule
  editor who may view that cable, and to nothing else.
- The person who acted (an audit event's actor, a rule's "updated by", whose
  clearance) is a link to the user's page only for whoever may open it; the auditor
  follows it to that person's events instead, the others read it as plain text.
- A deactivated rule shows no version live.

Each test is a person at the admin, logged in as themselves (the web client).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from redaction.models import ProposedRedaction, RedactionRule
from redaction.rule_services import rule_activate, rule_deactivate, rule_save
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from tests.workflow.test_access_admin import proposal as proposal_of
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

USER_PAGE = re.compile(r'href="/admin/auth/user/\d+/change/"')
READABLE = "The harvest was late this year in the north."
ABOVE = "The source NIGHTJAR reports the minister will resign."


@pytest.fixture(autouse=True)
def on_commit_runs_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def person(username: str, role: str | None, level: Level = Level.C, *, staff: bool = True):
    user = UserFactory(username=username, is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    Clearance.objects.create(user=user, level=int(level))
    return user


def term_rule(name: str, terms: str) -> RedactionRule:
    return RedactionRule(
        name=name, kind="terms", terms=terms, label="(b)(1) 1.4(c)", action="redact"
    )


def page(client, url: str, **query) -> tuple[int, str]:
    response = client.get(url, query)
    return response.status_code, response.content.decode()


def links(body: str) -> list[str]:
    return re.findall(r'href="([^"#]+)"', body)


def opens(client, url: str) -> bool:
    return client.get(url.replace("&amp;", "&")).status_code == 200


def user_form(client, user) -> dict:
    """The user's change form as the page fills it (every field it shows)."""
    form = client.get(reverse("admin:auth_user_change", args=[user.pk])).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("groups", "user_permissions"):
            data[name] = [getattr(v, "pk", v) for v in (value or [])]
        elif name in ("last_login", "date_joined"):
            if value:
                data[f"{name}_0"], data[f"{name}_1"] = value.date(), value.time()
        elif value is not None and value is not False:
            data[name] = value
    return data


# -- staff status follows the roles ------------------------------------------------------------


def test_a_role_given_on_the_user_page_brings_the_admin_link(client):
    sol = person("sol", "security officer", Level.TS)
    otto = person("otto", None, Level.S, staff=False)
    editor = Group.objects.get(name="rule editor")
    client.force_login(sol)

    response = client.post(
        reverse("admin:auth_user_change", args=[otto.pk]),
        {**user_form(client, otto), "groups": [editor.pk]},
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    otto.refresh_from_db()
    assert otto.is_staff
    event = AuditEvent.objects.get(action="user.staff_changed")
    assert (event.actor_name, event.before, event.after) == (
        "sol",
        {"user": "otto", "staff": False},
        {"user": "otto", "staff": True},
    )
    client.force_login(otto)
    _, home = page(client, reverse("workflow:queue"))
    assert reverse("admin:index") in links(home)
    status, admin_index = page(client, reverse("admin:index"))
    assert status == 200 and "Redaction rules" in admin_index


def test_a_role_taken_away_takes_the_admin_with_it_and_staff_is_not_ticked_by_hand(client):
    sol = person("sol", "security officer", Level.TS)
    eddie = person("eddie", "rule editor", Level.S)
    reviewer = Group.objects.get(name="reviewer")
    client.force_login(sol)

    form = user_form(client, eddie)
    assert "is_staff" not in form  # shown, read only: it follows the roles
    client.post(
        reverse("admin:auth_user_change", args=[eddie.pk]),
        {**form, "groups": [reviewer.pk], "is_staff": "on"},
    )

    eddie.refresh_from_db()
    assert not eddie.is_staff
    client.force_login(eddie)
    _, home = page(client, reverse("workflow:queue"))
    assert reverse("admin:index") not in links(home)


def test_a_change_that_keeps_the_roles_leaves_staff_status_and_the_trail_alone(client):
    sol = person("sol", "security officer", Level.TS)
    aude = person("aude", "auditor", Level.U)
    client.force_login(sol)

    client.post(
        reverse("admin:auth_user_change", args=[aude.pk]),
        {**user_form(client, aude), "first_name": "Aude"},
    )

    aude.refresh_from_db()
    assert aude.is_staff and aude.first_name == "Aude"
    assert not AuditEvent.objects.filter(action="user.staff_changed").exists()


# -- a proposed redaction's cable ----------------------------------------------------------------


def test_the_rule_editor_follows_a_proposal_to_its_cable_and_reads_what_she_may(client):
    cable = CableFactory(reference_id="07KESTREL412", level=int(Level.S))
    readable = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=ABOVE)
    other = CableFactory(reference_id="07MERLIN201")
    ParagraphFactory(cable=other, ordinal=1, level=int(Level.U))
    eddie = person("eddie", "rule editor", Level.C)
    permissions.grant(permissions.VIEW, eddie, cable)
    proposal = proposal_of(readable)
    client.force_login(eddie)

    status, body = page(
        client, reverse("admin:redaction_proposedredaction_change", args=[proposal.pk])
    )

    assert status == 200
    cable_page = reverse("admin:cables_cable_change", args=[cable.pk])
    assert f'<a href="{cable_page}">07KESTREL412</a>' in body
    assert all(opens(client, url) for url in links(body) if url.startswith("/admin/"))

    status, shown = page(client, cable_page)
    assert status == 200 and READABLE in shown and ABOVE not in shown
    assert "Save" not in shown  # view only
    # the list and the app's index are not hers: the breadcrumbs do not link them
    assert reverse("admin:cables_cable_changelist") not in links(shown)
    assert reverse("admin:app_list", args=["cables"]) not in links(shown)
    assert all(opens(client, url) for url in links(shown) if url.startswith("/admin/"))
    assert client.get(reverse("admin:cables_cable_changelist")).status_code == 403

    # a cable outside her grants does not open, and is not named
    outside = client.get(reverse("admin:cables_cable_change", args=[other.pk]), follow=True)
    assert outside.status_code == 403 and "07MERLIN201" not in outside.content.decode()


def test_a_proposal_names_no_cable_outside_the_viewers_grants():
    """The page's own check: however a proposal were reached, its cable is named only
    where the viewer may view it."""
    from django.contrib import admin
    from django.test import RequestFactory

    cable = CableFactory(reference_id="07MERLIN201")
    eddie = person("eddie", "rule editor", Level.TS)
    request = RequestFactory().get("/")
    request.user = eddie
    proposals = admin.site._registry[ProposedRedaction]

    assert proposals.cable_for(request, cable) == "(a cable you may not view)"
    permissions.grant(permissions.VIEW, eddie, cable)
    assert "07MERLIN201" in proposals.cable_for(request, cable)


# -- the person who acted --------------------------------------------------------------------------


def test_the_auditor_follows_the_actor_to_their_events_never_to_a_user_page(client):
    eddie = person("eddie", "rule editor", Level.S)
    aude = person("aude", "auditor", Level.U)
    rule = term_rule("Lanternfish codename", "Lanternfish")
    rule_save(rule=rule, user=eddie)
    rule_activate(rule=rule, user=eddie)
    saved = AuditEvent.objects.get(action="rule.saved")
    client.force_login(aude)

    status, body = page(client, reverse("admin:audit_auditevent_change", args=[saved.pk]))

    assert status == 200 and not USER_PAGE.search(body)
    trail = reverse("admin:audit_auditevent_changelist")
    (followed,) = [url for url in links(body) if url.startswith(f"{trail}?actor=")]
    status, events = page(client, followed.replace("&amp;", "&"))
    assert status == 200
    assert "rule.saved" in events and "rule.activated" in events
    assert all(opens(client, url) for url in links(body) if url.startswith("/admin/"))


def test_whoever_may_open_user_pages_still_follows_the_actor_there(client):
    sol = person("sol", "security officer", Level.TS)
    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    rule = term_rule("Lanternfish codename", "Lanternfish")
    rule_save(rule=rule, user=sol)
    saved = AuditEvent.objects.get(action="rule.saved")
    client.force_login(boss)

    _, body = page(client, reverse("admin:audit_auditevent_change", args=[saved.pk]))

    assert f'href="{reverse("admin:auth_user_change", args=[sol.pk])}"' in body


def test_the_rule_editor_reads_who_updated_the_rule_as_plain_text(client):
    eddie = person("eddie", "rule editor", Level.S)
    rule = term_rule("Lanternfish codename", "Lanternfish")
    rule_save(rule=rule, user=eddie)
    client.force_login(eddie)

    status, body = page(client, reverse("admin:redaction_redactionrule_change", args=[rule.pk]))

    assert status == 200 and not USER_PAGE.search(body)
    assert re.search(r"Updated by:</label>\s*<div class=\"readonly\">eddie</div>", body)
    assert re.search(r'field-changed_by_name">\s*<p>eddie</p>', body)


def test_clearances_name_the_person_as_each_viewer_may_open_them(client):
    ada = person("ada", "admin", Level.S)
    sol = person("sol", "security officer", Level.TS)
    rita = person("rita", "reviewer", Level.C, staff=False)
    url = reverse("admin:workflow_clearance_change", args=[rita.clearance.pk])

    client.force_login(ada)
    status, body = page(client, url)
    assert status == 200 and "rita" in body and not USER_PAGE.search(body)
    assert all(opens(client, link) for link in links(body) if link.startswith("/admin/"))

    client.force_login(sol)
    _, body = page(client, url)
    rita_page = reverse("admin:auth_user_change", args=[rita.pk])
    assert f'href="{rita_page}"' in body and opens(client, rita_page)


# -- a deactivated rule ------------------------------------------------------------------------


def test_a_deactivated_rule_shows_no_version_live(client):
    eddie = person("eddie", "rule editor", Level.S)
    live = term_rule("Lanternfish codename", "Lanternfish")
    rule_save(rule=live, user=eddie)
    rule_activate(rule=live, user=eddie)
    stopped = term_rule("Radar station", "radar station")
    rule_save(rule=stopped, user=eddie)
    rule_activate(rule=stopped, user=eddie)
    rule_deactivate(rule=stopped, user=eddie)
    client.force_login(eddie)

    _, listing = page(client, reverse("admin:redaction_redactionrule_changelist"))
    rows = {
        name: cell
        for name, cell in re.findall(
            r'<a href="[^"]+">([^<]+)</a></th>.*?<td class="field-live_version">([^<]*)</td>',
            listing,
            flags=re.S,
        )
    }
    assert rows == {"Lanternfish codename": "1", "Radar station": "not live"}

    _, body = page(client, reverse("admin:redaction_redactionrule_change", args=[stopped.pk]))
    assert re.search(r"Active version:</label>\s*<div class=\"readonly\">not live</div>", body)

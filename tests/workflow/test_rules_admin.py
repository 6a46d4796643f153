"""The rule admin as a rule editor uses it (issue "An office can run it without a shell":
Rules): scopes typed as tags, levels ticked, dates picked, stored as the JSON the
matcher reads; Activate and Deactivate post forms of their own.

The browser test (tests/e2e/test_admin_browser.py) clicks the same page; these post
it with the web client, as the browser does without scripts.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cables.markings import Level
from cables.models import CableTag
from redaction.models import RedactionRule
from redaction.rule_services import rule_save
from redaction.rule_specs import Scope, rule_definition
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

ADD = "admin:redaction_redactionrule_add"


@pytest.fixture
def editor(client):
    user = UserFactory(username="eddie", is_staff=True)
    user.groups.add(Group.objects.get(name="rule editor"))
    Clearance.objects.create(user=user, level=int(Level.S))
    client.force_login(user)
    return user


@pytest.fixture(autouse=True)
def on_commit_runs_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def form(**fields) -> dict:
    data = {
        "name": "terrorism terms",
        "kind": "terms",
        "terms": "NIGHTJAR",
        "label": "(b)(1) 1.4(d)",
        "action": "redact",
        "priority": 0,
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
    }
    return {**data, **fields}


def test_typing_pter_in_tags_just_works_and_is_stored_as_before(client, editor):
    response = client.post(
        reverse(ADD),
        form(
            scope_tags="PTER, prel",
            scope_posts="Embassy Rome, Embassy Exampletown",
            scope_levels=[str(int(Level.C)), str(int(Level.S))],
            scope_from="2006-01-01",
            scope_to="2006-12-31",
        ),
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    rule = RedactionRule.objects.get()
    assert rule.scope_tags == ["PTER", "PREL"]  # TAGS upper-cased, in the order typed
    assert rule.scope_posts == ["Embassy Rome", "Embassy Exampletown"]
    assert rule.scope_levels == [int(Level.C), int(Level.S)]
    assert (rule.scope_from, rule.scope_to) == (
        datetime.date(2006, 1, 1),
        datetime.date(2006, 12, 31),
    )
    # The matcher reads the stored definition exactly as before.
    scope = Scope.of(rule_definition(rule))
    assert scope.tags == {"PTER", "PREL"} and scope.levels == {int(Level.C), int(Level.S)}
    assert rule.versions.get().definition["scope_tags"] == ["PTER", "PREL"]


def test_no_scope_is_every_cable(client, editor):
    client.post(reverse(ADD), form())

    rule = RedactionRule.objects.get()
    assert (rule.scope_tags, rule.scope_posts, rule.scope_levels) == ([], [], [])
    assert Scope.of(rule_definition(rule)).everything


def test_a_marking_rule_with_level_and_controls_ticked_and_typed(client, editor):
    response = client.post(
        reverse(ADD),
        form(
            name="secret withheld",
            kind="marking",
            terms="",
            action="withhold",
            min_level=int(Level.S),
            controls="noforn",
        ),
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    rule = RedactionRule.objects.get()
    assert (rule.min_level, rule.controls) == (int(Level.S), ["NOFORN"])


def test_the_change_form_shows_widgets_with_suggestions_from_the_cables(client, editor):
    cable = CableFactory(origin="Embassy Ankara", tags=["PTER", "TU"])
    for tag in cable.tags:  # as the importer stores them (cables.loaders)
        CableTag.objects.create(cable=cable, tag=tag)
    permissions.grant(permissions.VIEW, editor, cable)  # suggested: a cable they may view
    rule = RedactionRule(
        name="r", kind="terms", terms="x", label="(b)(6)", scope_tags=["PTER"],
        scope_posts=["Embassy Ankara"], scope_levels=[int(Level.S)],
        scope_from=datetime.date(2006, 3, 1),
    )  # fmt: skip
    rule_save(rule=rule, user=editor)

    page = client.get(reverse("admin:redaction_redactionrule_change", args=[rule.pk]))
    html = page.content.decode()

    assert 'name="scope_tags" value="PTER"' in html and 'class="tag-input' in html
    assert 'name="scope_posts" value="Embassy Ankara"' in html
    tag_list = re.search(r'<datalist id="id_scope_tags-suggestions">(.*?)</datalist>', html, re.S)
    assert '<option value="PTER">' in tag_list.group(1) and '<option value="TU">' in tag_list.group(
        1
    )
    assert '<option value="Embassy Ankara">' in html
    checked = re.findall(
        r'<input type="checkbox" name="scope_levels" value="(\d)"[^>]*checked', html
    )
    assert checked == [str(int(Level.S))]
    assert 'type="date" name="scope_from" value="2006-03-01"' in html
    assert "js/tag-input.js" in html
    assert "Enter a valid JSON" not in html


def test_activate_and_deactivate_are_forms_of_their_own_outside_the_change_form(client, editor):
    rule = RedactionRule(name="r", kind="terms", terms="NIGHTJAR", label="(b)(6)")
    rule_save(rule=rule, user=editor)
    change = reverse("admin:redaction_redactionrule_change", args=[rule.pk])

    html = client.get(change).content.decode()
    change_form = re.search(r'<form [^>]*id="redactionrule_form".*?</form>', html, re.S).group(0)
    activate_url = reverse("admin:redaction_rule_activate", args=[rule.pk])
    assert f'action="{activate_url}"' in html
    assert activate_url not in change_form  # not nested: its button posts to its own view

    client.post(activate_url)
    rule.refresh_from_db()
    assert (rule.active, rule.active_version, rule.version) == (True, 1, 1)  # no new version

    html = client.get(change).content.decode()
    deactivate_url = reverse("admin:redaction_rule_deactivate", args=[rule.pk])
    assert f'action="{deactivate_url}"' in html and "Version 1 is live" in html
    client.post(deactivate_url)
    rule.refresh_from_db()
    assert (rule.active, rule.version) == (False, 1)


def test_a_get_to_activate_changes_nothing(client, editor):
    rule = RedactionRule(name="r", kind="terms", terms="NIGHTJAR", label="(b)(6)")
    rule_save(rule=rule, user=editor)

    response = client.get(reverse("admin:redaction_rule_activate", args=[rule.pk]))

    rule.refresh_from_db()
    assert response.status_code == 302 and not rule.active

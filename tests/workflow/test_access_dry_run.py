"""Issue "Nothing above your clearance" (1): a rule's dry run in the admin scans, counts
and shows only the paragraphs the editor may read.  Of the rest it says only what no
pattern changes: how many paragraphs in scope, on cables the editor may view, are above
their clearance; of cables they may not view, nothing.

Each test is the rule editor at work: logged in to the admin, saving a rule and
opening its dry run.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from cables.markings import Level
from redaction.models import RedactionRule
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

SECRET_TEXT = "The source NIGHTJAR met the minister at the port on Tuesday."


@pytest.fixture(autouse=True)
def on_commit_runs_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def secret_cable():
    cable = CableFactory(reference_id="06SECRETPOST7", level=int(Level.S))
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.S), text=SECRET_TEXT)
    return cable


def editor(level=Level.U, username="edith"):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="rule editor"))
    Clearance.objects.create(user=user, level=int(level))
    return user


def add_rule(client, pattern: str, name: str = "probe", **fields) -> RedactionRule:
    response = client.post(
        reverse("admin:redaction_redactionrule_add"),
        {
            "name": name,
            "kind": "regex",
            "pattern": pattern,
            "label": "(b)(1) 1.4(c)",
            "action": "redact",
            "priority": 0,
            "personal_kinds": "[]",
            "controls": "[]",
            "scope_posts": "[]",
            "scope_tags": "[]",
            "scope_levels": "[2]",  # SECRET cables only
            "rule_versions-TOTAL_FORMS": 0,
            "rule_versions-INITIAL_FORMS": 0,
            "versions-TOTAL_FORMS": 0,
            "versions-INITIAL_FORMS": 0,
            **fields,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    return RedactionRule.objects.get(pattern=pattern)


def dry_run(client, rule):
    response = client.get(reverse("admin:redaction_rule_dry_run", args=[rule.pk]))
    assert response.status_code == 200
    return response, response.content.decode()


def hit_counts(response) -> tuple[int, int, int]:
    """Paragraphs hit, cables hit and spans, as the page prints them."""
    text = " ".join(response.content.decode().split())
    found = re.search(
        r"<strong>(\d+)</strong> paragraphs? in <strong>(\d+)</strong> cables? hit; (\d+) span",
        text,
    )
    assert found is not None, text
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


def result_part(body: str) -> str:
    """The page's result: from the version heading to the end of the content."""
    start = body.index("<h2>Version")
    return body[start : body.index("</div>", start)]


def test_a_u_cleared_editor_without_grants_learns_nothing_of_the_secret_paragraph(
    client, secret_cable
):
    client.force_login(editor())
    rule = add_rule(client, r"NIGHTJAR|minister")

    response, body = dry_run(client, rule)

    assert hit_counts(response) == (0, 0, 0)
    assert "Scanned 0 paragraphs" in body
    assert "<mark>" not in body
    assert "The source" not in body and "port on Tuesday" not in body
    assert "06SECRETPOST7" not in body
    assert "above your clearance" not in body  # of a cable they may not view, nothing
    assert "including what is not counted here" in body


def test_two_dry_runs_differing_by_a_word_answer_alike_to_an_editor_not_cleared(
    client, secret_cable
):
    user = editor(level=Level.C)
    permissions.grant(permissions.VIEW, user, secret_cable)  # granted, but cleared C
    client.force_login(user)
    tuesday = add_rule(client, r"port on Tuesday", name="tuesday")
    monday = add_rule(client, r"port on Monday", name="monday")

    on_tuesday, tuesday_body = dry_run(client, tuesday)
    on_monday, monday_body = dry_run(client, monday)

    assert hit_counts(on_tuesday) == hit_counts(on_monday) == (0, 0, 0)
    # the figure about the rest counts the scope, whatever the pattern
    hidden = "1 paragraph is above your clearance and was not scanned"
    assert hidden in tuesday_body and hidden in monday_body
    assert result_part(tuesday_body) == result_part(monday_body)


def test_a_grant_alone_is_not_enough_nor_clearance_alone(client, secret_cable):
    user = editor(level=Level.C)
    permissions.grant(permissions.VIEW, user, secret_cable)  # granted, but cleared C
    other = CableFactory(reference_id="06SECRETPOST8", level=int(Level.S))
    ParagraphFactory(cable=other, ordinal=1, level=int(Level.C), text="NIGHTJAR again.")
    client.force_login(user)  # cleared for the other's paragraph, but no grant on it
    rule = add_rule(client, r"NIGHTJAR")

    response, body = dry_run(client, rule)

    assert hit_counts(response) == (0, 0, 0)
    assert "1 paragraph is above your clearance" in body  # the granted cable's only
    assert "06SECRETPOST7" not in body and "06SECRETPOST8" not in body
    assert "met the" not in body and "again" not in body


def test_the_editor_sees_samples_of_what_they_may_read_directly_or_through_a_group(
    client, secret_cable
):
    user = editor(level=Level.S)
    desk = Group.objects.create(name="desk")
    user.groups.add(desk)
    permissions.grant(permissions.VIEW, desk, secret_cable)  # via the group
    hidden = CableFactory(reference_id="06SECRETPOST9", level=int(Level.S))
    ParagraphFactory(cable=hidden, ordinal=1, level=int(Level.S), text="NIGHTJAR hidden away.")
    client.force_login(user)
    rule = add_rule(client, r"NIGHTJAR")

    response, body = dry_run(client, rule)

    assert hit_counts(response) == (1, 1, 1)  # the granted cable's paragraph only
    assert "<mark>NIGHTJAR</mark> met the minister" in body
    assert "06SECRETPOST7" in body
    assert "06SECRETPOST9" not in body and "hidden away" not in body
    assert "above your clearance" not in body


def test_added_and_removed_lists_show_only_readable_paragraphs(client, secret_cable):
    readable = CableFactory(reference_id="06OPENPOST1", level=int(Level.S))
    ParagraphFactory(
        cable=readable, ordinal=1, level=int(Level.U), text="The minister met NIGHTJAR openly."
    )
    user = editor(level=Level.U)
    permissions.grant(permissions.VIEW, user, readable)
    client.force_login(user)
    rule = add_rule(client, r"NIGHTJAR")
    client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))
    form = client.get(reverse("admin:redaction_redactionrule_change", args=[rule.pk]))
    assert form.status_code == 200
    rule.refresh_from_db()
    data = {
        **{k: v for k, v in form.context["adminform"].form.initial.items() if v is not None},
        "pattern": "minister",
        "kind": "regex",
        "personal_kinds": "[]",
        "controls": "[]",
        "scope_posts": "[]",
        "scope_tags": "[]",
        "scope_levels": "[2]",
        "versions-TOTAL_FORMS": 0,
        "versions-INITIAL_FORMS": 0,
    }
    saved = client.post(reverse("admin:redaction_redactionrule_change", args=[rule.pk]), data)
    assert saved.status_code == 302, saved.content.decode()[-2000:]

    response, body = dry_run(client, RedactionRule.objects.get(pk=rule.pk))

    assert "adds <strong>1</strong> and removes <strong>1</strong>" in body
    assert "<mark>minister</mark> met NIGHTJAR" in body  # added
    assert "minister met <mark>NIGHTJAR</mark>" in body  # removed
    assert "06SECRETPOST7" not in body and "port on Tuesday" not in body

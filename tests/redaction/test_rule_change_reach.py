"""A rule change re-applies the rules only where the rule, as it was or as it is, proposes
something (``RuleJob.changed``, ``proposals.cables_proposed_in``).

The rule editor activates, edits and deactivates through the admin's own buttons, as in
tests/workflow/test_rules_admin.py; after each step the stored proposals must be exactly
those of re-applying every active rule to every cable from nothing, and the cables the
rule never proposed anything in must not have been rewritten (their rows keep their ids).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from cables.markings import Level
from cables.models import Cable
from redaction.models import ProposedRedaction, RedactionRule, RuleJob
from redaction.proposals import cables_proposed_in, proposals_apply_within
from redaction.rule_services import rule_activate, rule_save
from redaction.rule_specs import active_rules
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def on_commit_runs_at_once(monkeypatch):
    """The queued chunk tasks (eager in tests) run at once, as after a real commit."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def editor(client):
    user = UserFactory(username="rita", is_staff=True)
    user.groups.add(Group.objects.get(name="rule editor"))
    Clearance.objects.create(user=user, level=int(Level.S))
    client.force_login(user)
    return user


@pytest.fixture
def cables():
    """Four cables: one for each rule's term, one with both, one with neither, and a
    NOFORN paragraph a marking rule withholds."""
    texts = {
        "nightjar": "Operation NIGHTJAR was discussed with the minister.",
        "kestrel": "The KESTREL source reported on the harvest.",
        "both": "NIGHTJAR and KESTREL were both raised.",
        "neither": "Nothing of note was said about the weather.",
    }
    made = {}
    for name, text in texts.items():
        cable = CableFactory(origin="Embassy Rome", level=int(Level.S))
        ParagraphFactory(cable=cable, ordinal=1, text=text, level=int(Level.C))
        made[name] = cable
    noforn = CableFactory(origin="Embassy Rome", level=int(Level.S))
    ParagraphFactory(
        cable=noforn, ordinal=1, text="Quiet.", level=int(Level.S), controls=["NOFORN"]
    )
    made["noforn"] = noforn
    return made


def stored() -> list[tuple]:
    return sorted(
        ProposedRedaction.objects.values_list(
            "cable_id", "paragraph_id", "start", "end", "action", "labels", "rules"
        )
    )


def from_nothing() -> list[tuple]:
    """The proposals of every active rule applied to every cable from an empty table (in
    a savepoint rolled back: the stored rows stay as they were)."""
    savepoint = transaction.savepoint()
    try:
        ProposedRedaction.objects.all().delete()
        proposals_apply_within(list(Cable.objects.values_list("pk", flat=True)))
        return stored()
    finally:
        transaction.savepoint_rollback(savepoint)


def row_ids(cable) -> list[int]:
    return sorted(cable.proposals.values_list("pk", flat=True))


def saved(editor, **fields) -> RedactionRule:
    rule = RedactionRule(
        **{"name": "r", "kind": "terms", "label": "(b)(1) 1.4(d)", "action": "redact", **fields}
    )
    rule_save(rule=rule, user=editor)
    return rule


def test_activating_a_rule_rewrites_only_the_cables_it_proposes_in(client, editor, cables):
    nightjar = saved(editor, name="nightjar", terms="NIGHTJAR")
    rule_activate(rule=nightjar, user=editor)
    before = {name: row_ids(cable) for name, cable in cables.items()}
    assert before["nightjar"] and before["both"] and not before["kestrel"]

    kestrel = saved(editor, name="kestrel", terms="KESTREL", label="(b)(6)")
    response = client.post(reverse("admin:redaction_rule_activate", args=[kestrel.pk]))
    assert response.status_code == 302

    job = RuleJob.objects.filter(rule=kestrel).get()
    assert job.changed == [[kestrel.pk, 1, job.changed[0][2]]]
    assert job.chunks.filter(done_at__isnull=True).count() == 0
    # Rewritten where KESTREL is, untouched where it is not.
    assert row_ids(cables["nightjar"]) == before["nightjar"]
    assert row_ids(cables["both"]) != before["both"]
    assert cables["kestrel"].proposals.count() == 1
    assert stored() == from_nothing()


def test_an_edit_activated_rewrites_where_either_version_proposed(client, editor, cables):
    rule = saved(editor, name="codewords", terms="NIGHTJAR")
    client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))
    other = saved(editor, name="weather", terms="weather", label="(b)(5)")
    client.post(reverse("admin:redaction_rule_activate", args=[other.pk]))
    weather_rows = row_ids(cables["neither"])
    assert weather_rows

    rule.terms = "KESTREL"
    rule_save(rule=rule, user=editor)
    client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))

    job = RuleJob.objects.filter(rule=rule).latest("pk")
    assert [version for _id, version, _definition in job.changed] == [1, 2]
    assert cables["nightjar"].proposals.count() == 0  # version 1's hit is gone
    assert cables["kestrel"].proposals.count() == 1  # version 2's hit is there
    assert row_ids(cables["neither"]) == weather_rows  # neither version: not rewritten
    assert stored() == from_nothing()


def test_deactivating_removes_the_rules_proposals_and_keeps_the_others(client, editor, cables):
    nightjar = saved(editor, name="nightjar", terms="NIGHTJAR")
    client.post(reverse("admin:redaction_rule_activate", args=[nightjar.pk]))
    kestrel = saved(editor, name="kestrel", terms="KESTREL", label="(b)(6)")
    client.post(reverse("admin:redaction_rule_activate", args=[kestrel.pk]))
    kestrel_rows = row_ids(cables["kestrel"])

    client.post(reverse("admin:redaction_rule_deactivate", args=[nightjar.pk]))

    assert cables["nightjar"].proposals.count() == 0
    assert [p.rules for p in cables["both"].proposals.all()] == [[[kestrel.pk, 1]]]
    assert row_ids(cables["kestrel"]) == kestrel_rows
    assert stored() == from_nothing()


def test_a_marking_rule_reaches_the_paragraphs_it_withholds_without_any_text(
    client, editor, cables
):
    words = saved(editor, name="nightjar", terms="NIGHTJAR")
    client.post(reverse("admin:redaction_rule_activate", args=[words.pk]))
    nightjar_rows = row_ids(cables["nightjar"])
    marking = saved(
        editor,
        name="noforn",
        kind="marking",
        terms="",
        controls=["NOFORN"],
        action="withhold",
        label="(b)(1) 1.4(b)",
    )

    client.post(reverse("admin:redaction_rule_activate", args=[marking.pk]))

    assert list(cables["noforn"].proposals.values_list("action", flat=True)) == ["withhold"]
    assert row_ids(cables["nightjar"]) == nightjar_rows
    assert stored() == from_nothing()


def test_cables_proposed_in_names_the_cables_a_rule_alone_proposes_in(editor, cables):
    rule = saved(editor, name="kestrel", terms="KESTREL")
    rule_activate(rule=rule, user=editor)
    ids = [cable.pk for cable in cables.values()]

    found = cables_proposed_in(ids, active_rules())

    assert found == sorted([cables["kestrel"].pk, cables["both"].pk])
    assert cables_proposed_in([], active_rules()) == []
    assert cables_proposed_in(ids, []) == []


def test_an_edit_saved_from_a_copy_loaded_before_activation_keeps_the_rule_live(
    client, editor, cables
):
    loaded = saved(editor, name="codewords", terms="NIGHTJAR")  # the editor's copy
    client.post(reverse("admin:redaction_rule_activate", args=[loaded.pk]))  # someone else

    loaded.terms = "NIGHTJAR\nKESTREL"
    rule_save(rule=loaded, user=editor)

    rule = RedactionRule.objects.get(pk=loaded.pk)
    assert (rule.version, rule.active, rule.active_version) == (2, True, 1)
    assert cables["nightjar"].proposals.count() == 1  # version 1 still live, not applied twice
    assert stored() == from_nothing()


def test_the_editor_is_told_how_far_a_job_is_never_how_many_cables_it_covers(
    client, editor, cables
):
    # The editor holds no grant on any of the cables the rule's scope reaches.
    rule = saved(editor, name="rome", terms="NIGHTJAR", scope_posts=["Embassy Rome"])
    response = client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]), follow=True)
    body = response.content.decode()

    job = RuleJob.objects.get(rule=rule)
    assert job.total_cables == len(cables)  # the job covers them all...
    assert f"{job.total_cables} cable" not in body  # ...and says nothing of how many
    assert "chunks" not in body
    assert "100%" in body

    from tests.api.helpers import token_client

    answer = token_client(editor).post(f"/api/rules/{rule.pk}/activate/").json()
    assert set(answer) == {"id", "reason", "rule_version", "progress", "created_at"}


def test_activating_from_a_copy_loaded_before_another_activation_still_undoes_that_one(
    client, editor, cables
):
    stale = saved(editor, name="codewords", terms="NIGHTJAR")  # loaded: not live, version 1
    client.post(reverse("admin:redaction_rule_activate", args=[stale.pk]))  # someone: v1 live
    fresh = RedactionRule.objects.get(pk=stale.pk)
    fresh.terms = "KESTREL"
    rule_save(rule=fresh, user=editor)  # and saves version 2
    assert cables["nightjar"].proposals.count() == 1

    rule_activate(rule=stale, user=editor)  # from the copy that saw nothing live

    job = RuleJob.objects.filter(rule=stale).latest("pk")
    assert [version for _id, version, _definition in job.changed] == [1, 2]
    assert cables["nightjar"].proposals.count() == 0
    assert stored() == from_nothing()


def test_a_version_todays_checks_refuse_makes_its_chunk_re_applied_whole(editor, cables):
    """A version saved under older, looser checks cannot be compiled alone any more: the
    chunk is then re-applied whole, so the job ends and that version's proposals go."""
    from redaction.rule_services import chunk_apply

    rule = saved(editor, name="nightjar", terms="NIGHTJAR")
    rule_activate(rule=rule, user=editor)
    job = RuleJob.objects.filter(rule=rule).latest("pk")
    job.changed = [[rule.pk, 1, {**job.changed[0][2], "kind": "regex", "pattern": "(a"}]]
    job.save(update_fields=["changed"])
    ProposedRedaction.objects.all().delete()  # as if the chunk had never run
    chunk = job.chunks.get()
    chunk.done_at = None
    chunk.save(update_fields=["done_at"])

    assert chunk_apply(chunk.pk) is True

    assert job.chunks.filter(done_at__isnull=True).count() == 0
    assert stored() == from_nothing()
    assert cables["nightjar"].proposals.count() == 1


def test_both_versions_of_a_change_are_scanned_from_one_read(
    editor, cables, django_assert_num_queries
):
    from redaction.rule_specs import ActiveRule, Scope, rule_definition, rule_spec

    rule = saved(editor, name="codewords", terms="NIGHTJAR")
    before = rule_definition(rule)
    rule.terms = "KESTREL"
    after = rule_definition(rule)
    versions = [
        [ActiveRule(rule_spec(rule.pk, n, d), Scope.of(d))] for n, d in ((1, before), (2, after))
    ]
    ids = [cable.pk for cable in cables.values()]

    with django_assert_num_queries(2):  # the cables' headers, their paragraphs
        found = cables_proposed_in(ids, *versions)

    assert found == sorted(cables[name].pk for name in ("nightjar", "kestrel", "both"))

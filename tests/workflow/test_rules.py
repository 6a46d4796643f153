"""Redaction rules: validation at save, versions, activation, scopes, re-application, dry run."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cables.markings import Level
from cables.models import Paragraph
from redaction.dry_run import rule_dry_run
from redaction.models import ProposedRedaction, RedactionRule, RuleJob, RuleVersion
from redaction.proposals import proposals_apply, proposals_apply_within
from redaction.rule_services import (
    RuleChanged,
    job_progress,
    rule_activate,
    rule_deactivate,
    rule_save,
)
from tests.factories import CableFactory, ParagraphFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT = "Ambassador Jane Doe met the minister; call +1 202 555 0147 or jdoe@example.org."


def make_rule(user=None, *, activate=True, **fields) -> RedactionRule:
    defaults = {
        "name": "protected names",
        "kind": "terms",
        "terms": "Jane Doe",
        "label": "(b)(6)",
        "action": "redact",
    }
    rule = RedactionRule(**{**defaults, **fields})
    rule_save(rule=rule, user=user)
    if activate:
        rule_activate(rule=rule, user=user)
    return rule


def proposals(cable=None):
    qs = ProposedRedaction.objects.all() if cable is None else cable.proposals.all()
    return sorted(
        (p.paragraph.text[p.start : p.end], p.action, tuple(p.labels))
        for p in qs.select_related("paragraph")
    )


@pytest.fixture(autouse=True)
def on_commit_runs_at_once(monkeypatch):
    """Run on-commit callbacks (the queued re-application tasks, eager in tests) at once,
    as they would after a real commit: the test's own transaction never commits."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def cable():
    cable = CableFactory(origin="Embassy Rome", tags=["PREL"], level=int(Level.S))
    ParagraphFactory(cable=cable, ordinal=1, text=TEXT, level=int(Level.C))
    ParagraphFactory(
        cable=cable, ordinal=2, text="Nothing to see.", level=int(Level.S), controls=["NOFORN"]
    )
    return cable


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "regex", "pattern": "([a-z"}, "not valid re2 syntax (missing ]"),
        ({"kind": "regex", "pattern": r"(a)\1"}, "backreferences are not supported"),
        ({"kind": "regex", "pattern": "a{99999999999}"}, "repetition number is too large"),
        ({"kind": "regex", "pattern": "(" * 1000 + "a" + ")" * 1000}, "nested too deeply"),
        ({"kind": "terms", "terms": "  \n \n"}, "empty"),
        ({"label": "(b)(12)"}, "label"),
        ({"kind": "marking", "min_level": None, "controls": []}, "marking rule needs"),
    ],
)
def test_an_invalid_rule_is_refused_at_save_with_the_reason(fields, message):
    rule = RedactionRule(
        **{"name": "r", "kind": "terms", "terms": "x", "label": "(b)(6)", **fields}
    )

    with pytest.raises(ValidationError) as error:
        rule_save(rule=rule, user=None)

    assert message in " ".join(error.value.messages).lower()
    assert not RedactionRule.objects.exists()
    assert not RuleVersion.objects.exists()


def test_every_save_is_a_version_saying_who_changed_what():
    admin = UserFactory(username="ada")
    rule = make_rule(admin, activate=False)
    rule.terms = "Jane Doe\nJohn Roe"
    rule_save(rule=rule, user=admin)

    versions = list(RuleVersion.objects.filter(rule=rule).order_by("version"))

    assert [v.version for v in versions] == [1, 2]
    assert versions[1].changes == {"terms": ["Jane Doe", "Jane Doe\nJohn Roe"]}
    assert versions[1].changed_by == admin
    assert versions[1].definition["terms"] == "Jane Doe\nJohn Roe"


def test_a_rule_saved_meanwhile_by_someone_else_is_not_overwritten():
    rule = make_rule(UserFactory(), activate=False)
    mine, theirs = (RedactionRule.objects.get(pk=rule.pk) for _ in range(2))
    theirs.terms = "Jane Doe\nJohn Roe"
    rule_save(rule=theirs, user=None)

    mine.terms = "Richard Roe"
    with pytest.raises(RuleChanged, match="saved by someone else meanwhile"):
        rule_save(rule=mine, user=None)

    assert RedactionRule.objects.get(pk=rule.pk).terms == "Jane Doe\nJohn Roe"
    assert RuleVersion.objects.filter(rule=rule).count() == 2


def test_activation_proposes_redactions_citing_the_rule_version(cable):
    rule = make_rule()

    stored = list(cable.proposals.all())

    assert [(p.paragraph.text[p.start : p.end], p.action) for p in stored] == [
        ("Jane Doe", "redact")
    ]
    assert stored[0].labels == ["(b)(6)"]
    assert stored[0].rules == [[rule.pk, 1]]
    job = RuleJob.objects.get()
    assert job_progress(job) == (job.total_chunks, job.total_chunks) == (1, 1)


def test_overlapping_rules_merge_and_list_every_exemption(cable):
    make_rule(name="names", terms="Jane Doe")
    make_rule(name="sources", kind="regex", pattern=r"Doe met the minister", label="(b)(1) 1.4(d)")

    assert proposals(cable) == [
        ("Jane Doe met the minister", "redact", ("(b)(1) 1.4(d)", "(b)(6)")),
    ]


def test_a_marking_rule_withholds_noforn_paragraphs_in_full(cable):
    make_rule(
        name="noforn",
        kind="marking",
        controls=["NOFORN"],
        action="withhold",
        label="(b)(1) 1.4(b)",
        terms="",
    )

    assert proposals(cable) == [("Nothing to see.", "withhold", ("(b)(1) 1.4(b)",))]


def test_personal_data_rule_finds_phone_and_email(cable):
    make_rule(name="pii", kind="personal_data", terms="")

    found = {text for text, _action, _labels in proposals(cable)}
    assert "jdoe@example.org" in found
    assert any("555" in text for text in found)


def test_a_scope_keeps_a_rule_off_other_cables(cable):
    paris = CableFactory(origin="Embassy Paris")
    ParagraphFactory(cable=paris, ordinal=1, text=TEXT)
    make_rule(scope_posts=["Embassy Rome"])

    assert len(proposals(cable)) == 1
    assert proposals(paris) == []


def test_applying_twice_changes_nothing(cable):
    make_rule()
    first = proposals(cable)
    count = ProposedRedaction.objects.count()

    proposals_apply([cable.pk])
    proposals_apply([cable.pk])

    assert proposals(cable) == first
    assert ProposedRedaction.objects.count() == count


def test_an_edit_goes_live_only_when_activated(cable):
    rule = make_rule()
    rule.terms = "minister"
    rule_save(rule=rule, user=None)

    assert proposals(cable) == [("Jane Doe", "redact", ("(b)(6)",))]

    rule_activate(rule=rule, user=None)

    assert proposals(cable) == [("minister", "redact", ("(b)(6)",))]
    assert cable.proposals.get().rules == [[rule.pk, 2]]


def test_deactivating_removes_the_rules_proposals(cable):
    rule = make_rule()

    rule_deactivate(rule=rule, user=None)

    assert proposals(cable) == []


def test_dry_run_counts_hits_and_what_an_edit_adds_or_removes(cable):
    other = CableFactory()
    ParagraphFactory(cable=other, ordinal=1, text="The minister and Jane Doe.")
    rule = make_rule()
    rule.terms = "minister"
    rule_save(rule=rule, user=None)

    result = rule_dry_run(rule, readable=Paragraph.objects.all())

    assert (result.paragraphs_hit, result.cables_hit, result.spans) == (2, 2, 2)
    assert result.compared_with == 1
    assert (result.added_count, result.removed_count) == (2, 2)
    assert {s.hit for s in result.added} == {"minister"}
    assert {s.hit for s in result.removed} == {"Jane Doe"}
    assert result.samples[0].before.endswith("Jane Doe met the ")
    assert ProposedRedaction.objects.filter(rules=[[rule.pk, 2]]).count() == 0


def test_the_admin_form_refuses_a_bad_regex_and_saves_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:redaction_redactionrule_add"),
        {
            "name": "bad",
            "kind": "regex",
            "pattern": r"(?<!Mr\. )Doe",
            "label": "(b)(6)",
            "action": "redact",
            "priority": 0,
            "personal_kinds": "[]",
            "controls": "[]",
            "scope_posts": "[]",
            "scope_tags": "[]",
            "scope_levels": "[]",
            "rule_versions-TOTAL_FORMS": 0,
            "rule_versions-INITIAL_FORMS": 0,
            "versions-TOTAL_FORMS": 0,
            "versions-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 200
    assert "lookbehinds are not supported" in response.content.decode()
    assert not RedactionRule.objects.exists()


def test_admin_dry_run_and_activation_pages(admin_client, cable):
    rule = make_rule(activate=False)

    dry = admin_client.get(reverse("admin:redaction_rule_dry_run", args=[rule.pk]))
    activated = admin_client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))
    page = admin_client.get(reverse("admin:redaction_redactionrule_change", args=[rule.pk]))

    assert dry.status_code == 200
    assert "<mark>Jane Doe</mark>" in dry.content.decode()
    assert activated.status_code == 302
    assert "Version 1 is live" in page.content.decode()
    assert "100%" in page.content.decode()  # how far, never how many cables (job_percent)
    assert len(proposals(cable)) == 1


# --- no backtracking engine runs an admin's regex --------------------------------------

SLOW_IN_PYTHON = [  # polynomial backtracking in Python's re: seconds to minutes on these texts
    (r"[a-z]*y[a-z]*y[a-z]*z", " yyz."),
    (r"\w{1,1000}\w{1,1000}\w{1,1000}!", " yyy!"),
]


def _admin_add_regex(admin_client, pattern: str, **fields) -> RedactionRule:
    response = admin_client.post(
        reverse("admin:redaction_redactionrule_add"),
        {
            "name": "regex",
            "kind": "regex",
            "pattern": pattern,
            "label": "(b)(6)",
            "action": "redact",
            "priority": 0,
            "personal_kinds": "[]",
            "controls": "[]",
            "scope_posts": "[]",
            "scope_tags": "[]",
            "scope_levels": "[]",
            "rule_versions-TOTAL_FORMS": 0,
            "rule_versions-INITIAL_FORMS": 0,
            "versions-TOTAL_FORMS": 0,
            "versions-INITIAL_FORMS": 0,
            **fields,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    return RedactionRule.objects.get(pattern=pattern)


def _re2_hits(pattern: str, text: str) -> list[str]:
    import re2

    return [m.group() for m in re2.finditer(pattern, text)]


@pytest.mark.parametrize("run", [700, 5000])
@pytest.mark.parametrize(("pattern", "after"), SLOW_IN_PYTHON)
def test_a_backtracking_shape_saves_and_dry_runs_fast_with_the_right_hits(
    admin_client, pattern, after, run
):
    """The issue: these saved, then a dry run over one paragraph of 700 y took 28 s."""
    text = "y" * run + after
    ParagraphFactory(cable=CableFactory(), ordinal=1, text=text)
    rule = _admin_add_regex(admin_client, pattern)

    started = time.monotonic()
    page = admin_client.get(reverse("admin:redaction_rule_dry_run", args=[rule.pk]))
    elapsed = time.monotonic() - started

    assert elapsed < 2, f"dry run took {elapsed:.1f} s"
    result = page.context["result"]
    assert not result.truncated
    assert [s.hit for s in result.samples] == _re2_hits(pattern, text) == [after.strip(" .")]
    assert f"<mark>{after.strip(' .')}</mark>" in page.content.decode()


@pytest.mark.parametrize(("pattern", "after"), SLOW_IN_PYTHON)
def test_a_backtracking_shape_applies_fast_with_the_right_hits(admin_client, pattern, after):
    text = "y" * 5000 + after
    cable = CableFactory()
    ParagraphFactory(cable=cable, ordinal=1, text=text)
    rule = _admin_add_regex(admin_client, pattern)

    started = time.monotonic()
    admin_client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))
    elapsed = time.monotonic() - started

    assert elapsed < 2, f"activation took {elapsed:.1f} s"
    assert [hit for hit, _action, _labels in proposals(cable)] == _re2_hits(pattern, text)


RULE_REGEX = r"(?i)\bref[- ]?\d{3}\b|[a-z]*y[a-z]*y[a-z]*z"


@pytest.fixture
def python_re_refuses_the_rule_regex(monkeypatch):
    """Every way into Python's re (compile, search, finditer... all go through
    re._compile; the compiler too) fails the test if given the rule's regex."""
    import re
    from re import _compiler

    calls: list[object] = []

    def guard(original):
        def guarded(pattern, *args, **kwargs):
            source = getattr(pattern, "pattern", pattern)
            if isinstance(source, str | bytes) and RULE_REGEX in str(source):
                calls.append(source)
                raise AssertionError(f"Python's re was given the rule's regex {source!r}")
            return original(pattern, *args, **kwargs)

        return guarded

    monkeypatch.setattr(re, "_compile", guard(re._compile))
    monkeypatch.setattr(_compiler, "compile", guard(_compiler.compile))
    return calls


def test_python_re_never_runs_a_rule_regex_when_saving_dry_running_or_applying(
    admin_client, python_re_refuses_the_rule_regex
):
    text = "See REF-123 and ref 456; " + "y" * 700 + " yyz."
    cable = CableFactory()
    ParagraphFactory(cable=cable, ordinal=1, text=text)

    rule = _admin_add_regex(admin_client, RULE_REGEX)
    dry = admin_client.get(reverse("admin:redaction_rule_dry_run", args=[rule.pk]))
    admin_client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))
    proposals_apply([cable.pk])

    expected = ["REF-123", "ref 456", "yyz"]
    assert _re2_hits(RULE_REGEX, text) == expected
    assert [s.hit for s in dry.context["result"].samples] == expected
    assert [hit for hit, _action, _labels in proposals(cable)] == sorted(expected)
    assert python_re_refuses_the_rule_regex == []


def test_the_guard_would_see_python_re_given_the_rule_regex(python_re_refuses_the_rule_regex):
    import re

    with pytest.raises(AssertionError, match="Python's re was given the rule's regex"):
        re.finditer(RULE_REGEX, "REF-123")
    assert python_re_refuses_the_rule_regex == [RULE_REGEX]


# --- time budgets ------------------------------------------------------------------------


def test_a_dry_run_out_of_time_says_how_far_it_got(admin_client, cable, settings):
    ParagraphFactory(cable=CableFactory(), ordinal=1, text="Jane Doe again.")
    rule = make_rule(activate=False)
    settings.DECLASS_RULE_TIME_BUDGET_S = 0

    page = admin_client.get(reverse("admin:redaction_rule_dry_run", args=[rule.pk]))

    result = page.context["result"]
    assert result.truncated and result.stopped_by == "time budget"
    assert result.incomplete == "stopped after 0 of 3 paragraphs: time budget reached"
    assert "stopped after 0 of 3 paragraphs: time budget reached" in page.content.decode()
    assert rule_dry_run(rule, readable=Paragraph.objects.all(), budget_s=60).incomplete == ""


def test_an_apply_out_of_time_stores_what_it_finished_and_continues_the_rest(
    admin_client, settings, caplog
):
    cables = [CableFactory() for _ in range(3)]
    for cable in cables:
        ParagraphFactory(cable=cable, ordinal=1, text=TEXT)
    rule = make_rule(activate=False)
    settings.DECLASS_RULE_TIME_BUDGET_S = 0  # each task finishes one cable, then stops

    with caplog.at_level("WARNING", logger="redaction.rule_services"):
        admin_client.post(reverse("admin:redaction_rule_activate", args=[rule.pk]))

    job = RuleJob.objects.get(rule=rule)
    assert job_progress(job) == (3, 3)  # one chunk, then two continuations
    assert all(proposals(cable) == [("Jane Doe", "redact", ("(b)(6)",))] for cable in cables)
    warnings = [r.getMessage() for r in caplog.records]
    assert any("stopped after 1 of 3 cables: time budget reached" in m for m in warnings)
    assert any("stopped after 1 of 2 cables: time budget reached" in m for m in warnings)
    outcome = proposals_apply_within([c.pk for c in cables], budget_s=0)
    assert (len(outcome.done), len(outcome.left)) == (1, 2)
    assert outcome.incomplete == "stopped after 1 of 3 cables: time budget reached"

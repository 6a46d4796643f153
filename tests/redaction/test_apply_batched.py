"""An apply scans cables in batches (one ``propose_many`` a batch of consecutive cables that
share a matcher): it must store exactly the rows ``propose`` gives paragraph by paragraph, in
the same order, and its time budget must stop it only between batches."""

from __future__ import annotations

import gc
import itertools
from types import SimpleNamespace

import pytest

from cables.markings import Level
from redaction import proposals
from redaction.engine import batch, propose
from redaction.models import ProposedRedaction, RedactionRule
from redaction.proposals import _batches, current_rules, matcher_for, proposals_apply_within
from redaction.rule_services import rule_activate, rule_save
from tests.factories import CableFactory, ParagraphFactory

pytestmark = pytest.mark.django_db

TEXTS = [
    "Ambassador Jane Doe met the minister; call +1 202 555 0147 or jdoe@example.org.",
    "The minister of finance told Jane  Doe that Exampletown would wait.",
    "Nothing to see.",
    "Jane Doe, Jane Doe and the MINISTER again in Exampletown and Rome.",
]


def make_rule(**fields) -> RedactionRule:
    defaults = {"name": "names", "kind": "terms", "label": "(b)(6)", "action": "redact"}
    rule = RedactionRule(**{**defaults, **fields})
    rule_save(rule=rule, user=None)
    rule_activate(rule=rule, user=None)
    return rule


@pytest.fixture
def rules() -> None:
    """Rules everywhere, a scoped one (so neighbouring cables need different matchers) and a
    marking rule (withholds NOFORN paragraphs in full)."""
    make_rule(terms="Jane Doe\nExampletown")
    make_rule(name="minister", kind="regex", pattern=r"(?i)\bminister\b", label="(b)(5)")
    make_rule(name="rome only", terms="Rome\nminister", action="flag", scope_posts=["Embassy Rome"])
    make_rule(name="pii", kind="personal_data", terms="")
    make_rule(
        name="noforn",
        kind="marking",
        controls=["NOFORN"],
        action="withhold",
        label="(b)(1) 1.4(b)",
        terms="",
    )


@pytest.fixture
def cables() -> list[int]:
    """Twelve cables, Rome and elsewhere in runs of uneven length, a few paragraphs each."""
    origins = ["Embassy Rome"] * 3 + ["Embassy Paris"] * 2 + ["Embassy Rome"] + ["Embassy Oslo"] * 6
    ids = []
    texts = itertools.cycle(TEXTS)
    for n, origin in enumerate(origins):
        cable = CableFactory(origin=origin, level=int(Level.S))
        for ordinal in range(1, 2 + n % 3):
            ParagraphFactory(
                cable=cable,
                ordinal=ordinal,
                text=next(texts),
                level=int(Level.S if ordinal == 2 else Level.C),
                controls=["NOFORN"] if ordinal == 2 else [],
            )
        ids.append(cable.pk)
    return ids


def stored() -> list[tuple]:
    return list(
        ProposedRedaction.objects.order_by("id").values_list(
            "cable_id", "paragraph_id", "start", "end", "action", "labels", "rules"
        )
    )


def columns(labels: tuple, keys: tuple) -> tuple[list[str], list[list[int]]]:
    """The labels and rules columns as stored (JSON lists)."""
    return [str(x) for x in labels], [list(k) for k in keys]


def one_by_one(cable_ids: list[int]) -> list[tuple]:
    """The rows ``propose`` gives each paragraph, in cable then paragraph order."""
    rules = current_rules()
    rows = []
    for cable_id in sorted(cable_ids):
        cable = proposals.Cable.objects.get(pk=cable_id)
        reaching = [
            r
            for r in rules
            if r.scope.matches(
                origin=cable.origin, tags=cable.tags, level=cable.level, sent_at=cable.sent_at
            )
        ]
        matcher = matcher_for(reaching)
        for p in cable.paragraphs.order_by("id"):
            proposal = propose(p.text, p.level, p.controls, matcher)
            head = (cable_id, p.pk)
            if proposal.withheld_in_full:
                cols = columns(proposal.withhold_labels, proposal.withhold_rules)
                rows.append((*head, 0, len(p.text), "withhold", *cols))
            for span in proposal.spans:
                cols = columns(span.labels, span.rules)
                rows.append((*head, span.start, span.end, span.action, *cols))
    return rows


@pytest.mark.parametrize("batch_characters", [1, 150, 1 << 20])
def test_batched_apply_stores_the_rows_of_propose_paragraph_by_paragraph(
    rules, cables, monkeypatch, batch_characters
):
    # Every batch through the batched scan, however small, and batches of several sizes.
    monkeypatch.setattr(batch, "_SMALL_BATCH", 0)
    monkeypatch.setattr(proposals, "_BATCH_CHARACTERS", batch_characters)
    ProposedRedaction.objects.all().delete()

    outcome = proposals_apply_within(cables, budget_s=600)

    expected = one_by_one(cables)
    assert outcome.left == () and outcome.done == tuple(sorted(cables))
    assert stored() == expected and outcome.stored == len(expected)
    assert {action for *_, action, _l, _r in expected} == {"redact", "flag", "withhold"}
    assert gc.isenabled()  # the collector, paused for each batch, is on again


def test_batches_are_runs_of_one_matcher_cut_by_size_the_first_one_cable():
    def rows(cable_id: int, *lengths: int) -> list[tuple]:
        return [(cable_id * 10 + i, cable_id, "x" * n, 0, "[]") for i, n in enumerate(lengths)]

    paragraphs = (
        rows(1, 5, 5) + rows(2, 4) + rows(3, 3) + rows(4, 30) + rows(5, 2) + rows(6, 1) + rows(7, 9)
    )
    keys = {1: (), 2: (), 3: (), 4: (), 5: (), 6: (0,), 7: ()}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(proposals, "_BATCH_CHARACTERS", 10)
        batches = [(key, cables) for key, cables, _ in _batches(paragraphs, keys)]
        assert sum(len(b) for *_, b in _batches(paragraphs, keys)) == len(paragraphs)

    # 1 alone (the first batch); 2+3 fit in 10; 4 is larger than a batch, alone; 5 ends at
    # the change of matcher; 6 alone with its own matcher; 7.
    assert batches == [((), [1]), ((), [2, 3]), ((), [4]), ((), [5]), ((0,), [6]), ((), [7])]


def test_out_of_time_at_once_an_apply_still_finishes_one_cable(rules, cables):
    outcome = proposals_apply_within(cables, budget_s=0)

    assert outcome.done == (min(cables),) and len(outcome.left) == len(cables) - 1


def test_the_budget_stops_an_apply_between_batches_never_inside_one(rules, cables, monkeypatch):
    monkeypatch.setattr(proposals, "_BATCH_CHARACTERS", 1 << 20)
    clock = iter([0.0, 0.0, 100.0])  # the start, before batch 2, before batch 3
    monkeypatch.setattr(proposals, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    ProposedRedaction.objects.all().delete()

    outcome = proposals_apply_within(cables, budget_s=10)

    # Batches: the first cable; the other two Rome cables; the two Paris cables...
    assert outcome.done == tuple(sorted(cables[:3]))
    assert outcome.left == tuple(sorted(cables[3:]))
    assert stored() == [row for row in one_by_one(cables) if row[0] in outcome.done]

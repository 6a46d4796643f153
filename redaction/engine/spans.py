"""From hits to what a reviewer sees: merged redaction spans and a per-paragraph proposal.

Merging rules (deterministic, independent of the order hits arrive in):

* Spans are half-open, ``text[start:end]``.  Spans that share at least one character merge;
  spans that only touch (one ends where the next starts) stay apart, so each box keeps its
  own exemption at the place of the deletion (5 U.S.C. 552(b), closing sentences).
* Redacting hits (``redact``, and the text that triggered a ``withhold``) merge into
  ``redact`` spans covering the union of their text: whatever any rule withholds stays
  withheld, whatever the priorities.  ``flag`` hits merge among themselves into ``flag``
  spans; they never widen or shrink a redaction and may overlap one.
* A merged span lists every exemption label of the hits in it (sorted, without duplicates)
  and every (rule_id, version) that contributed, sorted.
* Output is sorted by (start, end, action).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from .batch import scan_many
from .hit import Hit
from .labels import ExemptionLabel, labels_union
from .rules import LEVELS, MarkingRule

if TYPE_CHECKING:
    from .matcher import Matcher

__all__ = ["MergedSpan", "Proposal", "merge_spans", "propose", "propose_many"]

_REDACTING = frozenset({"redact", "withhold"})
_START_END_ACTION = itemgetter(0, 1, 2)


class MergedSpan(NamedTuple):
    """``text[start:end]`` to redact (or to show a reviewer), with every reason for it.

    A named tuple, not a frozen dataclass: an apply makes about a hundred a cable, and a
    frozen dataclass took 0.55 us to build against 0.21 us; its order is its fields'."""

    start: int
    end: int
    action: str  # "redact" or "flag"
    labels: tuple[ExemptionLabel, ...]
    rules: tuple[tuple[int, int], ...]  # (rule_id, version)


_new_span = partial(tuple.__new__, MergedSpan)  # MergedSpan from one tuple, without __new__'s call


@dataclass(frozen=True)
class Proposal:
    """What the rules propose for one paragraph; a reviewer still decides."""

    spans: tuple[MergedSpan, ...]
    withheld_in_full: bool
    withhold_labels: tuple[ExemptionLabel, ...]  # why, when withheld in full
    withhold_rules: tuple[tuple[int, int], ...]
    flagged: bool
    flag_rules: tuple[tuple[int, int], ...]  # ordered by priority, highest first

    @property
    def redactions(self) -> tuple[MergedSpan, ...]:
        return tuple(s for s in self.spans if s.action == "redact")

    @property
    def flags(self) -> tuple[MergedSpan, ...]:
        return tuple(s for s in self.spans if s.action == "flag")

    @property
    def labels(self) -> tuple[ExemptionLabel, ...]:
        """Every label this proposal applies: the withholding's, or the redactions'."""
        if self.withheld_in_full:
            return self.withhold_labels
        return tuple(sorted({label for s in self.redactions for label in s.labels}))

    def release_label(self) -> ExemptionLabel | None:
        """All exemptions used, as one label (for a ``RELEASE IN PART ...`` stamp)."""
        return labels_union(self.labels) if self.labels else None


def merge_spans(hits: Iterable[Hit]) -> list[MergedSpan]:
    """Merge overlapping hits, redactions and flags separately (see the module docstring)."""
    redacting: list[Hit] = []
    flagging: list[Hit] = []
    for hit in hits:
        (redacting if hit.action in _REDACTING else flagging).append(hit)
    if not flagging:  # as the merge leaves them: sorted by start, then end
        return _merge(redacting, "redact")
    spans = _merge(redacting, "redact") + _merge(flagging, "flag")
    spans.sort(key=_START_END_ACTION)
    return spans


def _merge(hits: list[Hit], action: str) -> list[MergedSpan]:
    # A hit's own order is (start, end, rule_id, rule_version, label, action): ties past
    # the rule key only reorder a group, whose labels and rules are sorted anyway.
    hits = sorted(hits)
    merged: list[MergedSpan] = []
    group: list[Hit] = []
    group_end = -1
    for hit in hits:
        start, end = hit[0], hit[1]
        if start >= group_end:  # touching is not overlapping
            if group:
                merged.append(_span(group, action))
            group = [hit]
            group_end = end
        else:
            group.append(hit)
            if end > group_end:
                group_end = end
    if group:
        merged.append(_span(group, action))
    return merged


def _span(group: list[Hit], action: str) -> MergedSpan:
    if len(group) == 1:  # most spans: one hit, nothing to sort (labels hash slowly)
        start, end, rule_id, version, label, _action = group[0]
        return _new_span((start, end, action, (label,), ((rule_id, version),)))
    return MergedSpan(
        start=group[0].start,
        end=max(h.end for h in group),
        action=action,
        labels=tuple(sorted({h.label for h in group})),
        rules=tuple(sorted({h.rule_key for h in group})),
    )


def propose(
    paragraph_text: str,
    level: int,
    controls: Iterable[str],
    matcher: Matcher,
    marking_rules: Sequence[MarkingRule] | None = None,
) -> Proposal:
    """Merged redaction spans for a paragraph, and whether to withhold it in full or flag it.

    ``level`` is the paragraph's classification (0 U, 1 C, 2 S, 3 TS), ``controls`` its
    dissemination controls (``NOFORN``, ``NF``, ``ORCON``...).  ``marking_rules`` defaults to
    the marking rules compiled into ``matcher``.
    """
    _check_level(level)
    return _proposal(matcher.scan(paragraph_text), level, controls, matcher, marking_rules)


def propose_many(
    paragraphs: Sequence[tuple[str, int, Iterable[str]]],
    matcher: Matcher,
    marking_rules: Sequence[MarkingRule] | None = None,
) -> list[Proposal]:
    """:func:`propose` for each (text, level, controls), the texts scanned in one batch.

    Why: :func:`.batch.scan_many` over a megabyte of paragraphs costs about a third less
    than scanning them one by one (``bench/redaction.py``); give it the paragraphs of as
    many cables as share a matcher.
    """
    for _text, level, _controls in paragraphs:
        _check_level(level)
    hits_of = scan_many(matcher, [text for text, _level, _controls in paragraphs])
    return [
        _proposal(hits, level, controls, matcher, marking_rules)
        for (_text, level, controls), hits in zip(paragraphs, hits_of, strict=True)
    ]


def _check_level(level: int) -> None:
    if level not in LEVELS.values():
        raise ValueError(f"level must be 0 (U), 1 (C), 2 (S) or 3 (TS), got {level!r}")


def _proposal(
    hits: list[Hit],
    level: int,
    controls: Iterable[str],
    matcher: Matcher,
    marking_rules: Sequence[MarkingRule] | None,
) -> Proposal:
    controls = list(controls)
    rules = matcher.marking_rules if marking_rules is None else tuple(marking_rules)
    marking = sorted((r for r in rules if r.applies(level, controls)), key=_by_priority)
    priority = matcher.priorities
    withholding = [h for h in hits if h.action == "withhold"]
    flagging = [h for h in hits if h.action == "flag"]
    withhold_reasons = [(r.key, r.priority, r.label) for r in marking if r.action == "withhold"]
    withhold_reasons += [(h.rule_key, priority[h.rule_id], h.label) for h in withholding]
    flag_reasons = [(r.key, r.priority) for r in marking if r.action == "flag"]
    flag_reasons += [(h.rule_key, priority[h.rule_id]) for h in flagging]
    return Proposal(
        spans=tuple(merge_spans(hits)),
        withheld_in_full=bool(withhold_reasons),
        withhold_labels=tuple(sorted({label for _key, _p, label in withhold_reasons})),
        withhold_rules=_ordered_keys([(key, p) for key, p, _label in withhold_reasons]),
        flagged=bool(flag_reasons),
        flag_rules=_ordered_keys(flag_reasons),
    )


def _by_priority(rule: MarkingRule) -> tuple[int, int, int]:
    return (-rule.priority, rule.id, rule.version)


def _ordered_keys(reasons: list[tuple[tuple[int, int], int]]) -> tuple[tuple[int, int], ...]:
    """Distinct (rule_id, version), highest priority first, then by id."""
    if not reasons:  # most paragraphs: nothing withheld, nothing flagged
        return ()
    best: dict[tuple[int, int], int] = {}
    for key, priority in reasons:
        best[key] = max(priority, best.get(key, priority))
    return tuple(sorted(best, key=lambda key: (-best[key], key)))

"""Dry-run a rule before it goes live: what it would hit, and the difference it makes.

Runs the latest saved version and the live version (if any) over the
paragraphs of the cables either can reach, with the same engine the workers
use, and stores nothing.  A dry run answers a request, so it has a time budget
(``DECLASS_RULE_TIME_BUDGET_S``) and a paragraph limit: when either stops it,
the result says so (``stopped after N of M paragraphs: time budget reached``)
and its counts cover the paragraphs scanned.

Whoever runs it learns only of the paragraphs they may read: the caller passes
those (``readable``, a queryset of paragraphs; the workflow knows who may read
what, this app does not), and only those are scanned.  The counts, samples and
lists all come from them: a count of hits elsewhere would let whoever writes the
rule read a hidden paragraph a guess at a time (two dry runs differing by one
word tell which word it holds).  What the reader is told of the rest does not
depend on the rule's pattern: how many paragraphs in its scope are among
``hidden``, the paragraphs of cables they may view that are above their
clearance (also from the caller).  Of cables they may not view nothing is said,
not even how many the scope reaches, since that would tell their posts and
TAGS.  Activation is not a read: it applies the rule to every cable in scope.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from cables.models import Cable, Paragraph
from redaction.engine import Matcher, compile_rules, propose
from redaction.models import RedactionRule, RuleVersion
from redaction.rule_specs import Scope, rule_spec

CONTEXT = 40  # characters shown either side of a hit
MAX_PARAGRAPHS = 500_000  # a request's worth of scanning; the result says if it stopped


@dataclass(frozen=True)
class Sample:
    reference_id: str
    paragraph: str
    before: str
    hit: str
    after: str
    action: str


@dataclass
class DryRunResult:
    paragraphs_hit: int = 0
    cables_hit: int = 0
    spans: int = 0
    withheld_paragraphs: int = 0
    flagged_paragraphs: int = 0
    scanned: int = 0
    truncated: bool = False
    stopped_by: str = ""  # why it stopped before the end: "time budget", "paragraph limit"
    reachable: int | None = None  # paragraphs in reach (counted when it stopped early)
    samples: list[Sample] = field(default_factory=list)
    added: list[Sample] = field(default_factory=list)
    removed: list[Sample] = field(default_factory=list)
    added_count: int = 0
    removed_count: int = 0
    compared_with: int | None = None  # the live version compared against
    # Paragraphs in scope among ``hidden`` (on cables the reader may view, above their
    # clearance): not scanned.  Counted over the scope alone, never the pattern
    # (None: not asked).
    hidden_in_reach: int | None = None

    @property
    def incomplete(self) -> str:
        """What did not finish, for the reader ('' when every paragraph was scanned)."""
        if not self.truncated:
            return ""
        return (
            f"stopped after {self.scanned:,} of {self.reachable:,} paragraphs: "
            f"{self.stopped_by} reached"
        )


def _version(rule: RedactionRule, number: int | None) -> tuple[Matcher, Scope] | None:
    if number is None:
        return None
    definition = RuleVersion.objects.get(rule=rule, version=number).definition
    return compile_rules([rule_spec(rule.pk, number, definition)]), Scope.of(definition)


def _marks(
    text: str,
    level: int,
    controls: list[str],
    engine: tuple[Matcher, Scope] | None,
    header: dict[str, Any],
) -> set[tuple[int, int, str]]:
    """(start, end, action) of everything the version proposes for this paragraph."""
    if engine is None or not engine[1].matches(**header):
        return set()
    proposal = propose(text, level, controls, engine[0])
    marks = {(s.start, s.end, s.action) for s in proposal.spans}
    if proposal.withheld_in_full:
        marks.add((0, len(text), "withhold"))
    elif proposal.flagged and not proposal.flags:
        marks.add((0, len(text), "flag"))
    return marks


def _sample(ref: str, number: str, text: str, mark: tuple[int, int, str]) -> Sample:
    start, end, action = mark
    shown_end = min(end, start + 200)
    return Sample(
        ref,
        number,
        text[max(0, start - CONTEXT) : start],
        text[start:shown_end],
        text[end : end + CONTEXT],
        action,
    )


def rule_dry_run(
    rule: RedactionRule,
    *,
    readable: QuerySet[Paragraph],
    hidden: QuerySet[Paragraph] | None = None,
    tags_readable: QuerySet[Cable] | None = None,
    sample_size: int = 20,
    budget_s: float | None = None,
) -> DryRunResult:
    """Counts, samples in context, and what the latest version adds or removes.

    Everything comes from ``readable``, the paragraphs whoever asked may read: the
    rest is not scanned at all.  With ``hidden`` (the paragraphs of cables they may
    view that are above their clearance), ``hidden_in_reach`` says how many of those
    are in scope, a figure that no pattern changes.  With ``tags_readable`` (the cables
    whose TAGS they read), any other cable has no tags for this dry run: a scope naming
    TAGS does not reach it and no version sees its tags, or the counts would tell which
    tags it carries.

    Stops at the first paragraph boundary after ``budget_s`` seconds (by default
    ``DECLASS_RULE_TIME_BUDGET_S``) or ``MAX_PARAGRAPHS`` paragraphs, and says so.
    """
    budget = settings.DECLASS_RULE_TIME_BUDGET_S if budget_s is None else budget_s
    deadline = time.monotonic() + budget
    draft = _version(rule, rule.version or None)
    live = _version(rule, rule.active_version) if rule.active else None
    result = DryRunResult(compared_with=rule.active_version if live else None)
    scopes = [e[1] for e in (draft, live) if e is not None]
    if not scopes:
        return result
    reach = Q() if any(s.everything for s in scopes) else Q(pk__in=[])
    for scope in scopes:
        if not scope.everything:
            part = scope.cables()
            if scope.tags and tags_readable is not None:
                part &= Q(pk__in=tags_readable.values("pk"))
            reach |= part
    in_reach = readable.filter(cable__in=_cables(reach)).annotate(
        tags_shown=Value(True)
        if tags_readable is None
        else Exists(tags_readable.filter(pk=OuterRef("cable_id")))
    )
    if hidden is not None:
        result.hidden_in_reach = hidden.filter(cable__in=_cables(reach)).count()
    rows = in_reach.order_by("cable", "ordinal").values_list(
        "cable_id",
        "cable__reference_id",
        "cable__origin",
        "cable__tags",
        "cable__level",
        "cable__sent_at",
        "number",
        "text",
        "level",
        "controls",
        "tags_shown",
    )
    cables: set[int] = set()
    for row in rows.iterator(chunk_size=2000):
        cable_id, ref, origin, tags, cable_level, sent_at, number, text, level, controls, shown = (
            row
        )
        if not shown:
            tags = []
        if result.scanned >= MAX_PARAGRAPHS or time.monotonic() > deadline:
            result.truncated = True
            result.stopped_by = (
                "paragraph limit" if result.scanned >= MAX_PARAGRAPHS else "time budget"
            )
            break
        result.scanned += 1
        header = {"origin": origin, "tags": tags, "level": cable_level, "sent_at": sent_at}
        new = _marks(text, level, controls, draft, header)
        old = _marks(text, level, controls, live, header) if live else set()
        if new:
            cables.add(cable_id)
            result.paragraphs_hit += 1
            result.spans += sum(1 for m in new if m[2] == "redact")
            result.withheld_paragraphs += any(m[2] == "withhold" for m in new)
            result.flagged_paragraphs += any(m[2] == "flag" for m in new)
            for mark in sorted(new)[: max(0, sample_size - len(result.samples))]:
                result.samples.append(_sample(ref, number, text, mark))
        if live:
            for bucket, marks, counter in (
                ("added", new - old, "added_count"),
                ("removed", old - new, "removed_count"),
            ):
                setattr(result, counter, getattr(result, counter) + len(marks))
                kept = getattr(result, bucket)
                for mark in sorted(marks)[: max(0, sample_size - len(kept))]:
                    kept.append(_sample(ref, number, text, mark))
    result.cables_hit = len(cables)
    if result.truncated:
        result.reachable = in_reach.count()
    return result


def _cables(reach: Q):  # type: ignore[no-untyped-def]

    return Cable.objects.filter(reach).values("pk")

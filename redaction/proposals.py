"""Apply the active redaction rules to cables and store what they propose.

Applying replaces a cable's proposals in one transaction (delete, then bulk
insert), so it is idempotent and a half-done run leaves nothing half-written.
Proposals live in their own table: reviewers' decisions are never touched.

An apply has a time budget (``DECLASS_RULE_TIME_BUDGET_S``): past it, the cables
already scanned are stored and the others are left as they were and reported
(:class:`ApplyOutcome`), for the caller to queue again; each apply finishes at
least one cable, so continuing always gets to the end.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cables.models import Cable, Paragraph
from config.celery import queue_task
from redaction.engine import Matcher, Proposal, compile_rules, propose
from redaction.models import ProposedRedaction
from redaction.rule_specs import ActiveRule, active_rules

log = logging.getLogger(__name__)

_MATCHERS: OrderedDict[frozenset[object], Matcher] = OrderedDict()
_MATCHER_CACHE_SIZE = 16  # distinct scope combinations seen by one worker process


def matcher_for(rules: Sequence[ActiveRule]) -> Matcher:
    """One compiled matcher per set of rule versions, cached in this process.

    Compiling thousands of terms takes far longer than scanning a chunk of
    cables, so workers keep the few combinations that scopes produce.
    """
    # Keyed on the specs themselves, not just (id, version): a rebuilt database
    # can reuse ids, and a stale matcher must never be served for them.
    key = frozenset(r.spec for r in rules)
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = compile_rules([r.spec for r in rules])
        _MATCHERS[key] = matcher
        if len(_MATCHERS) > _MATCHER_CACHE_SIZE:
            _MATCHERS.popitem(last=False)
    else:
        _MATCHERS.move_to_end(key)
    return matcher


def _rows(paragraph_id: int, cable_id: int, text: str, proposal: Proposal, now) -> list:  # type: ignore[no-untyped-def]
    rows = []
    if proposal.withheld_in_full:
        rows.append(
            ProposedRedaction(
                cable_id=cable_id,
                paragraph_id=paragraph_id,
                start=0,
                end=len(text),
                action="withhold",
                labels=[str(x) for x in proposal.withhold_labels],
                rules=[list(k) for k in proposal.withhold_rules],
                created_at=now,
            )
        )
    for span in proposal.spans:
        rows.append(
            ProposedRedaction(
                cable_id=cable_id,
                paragraph_id=paragraph_id,
                start=span.start,
                end=span.end,
                action=span.action,
                labels=[str(x) for x in span.labels],
                rules=[list(k) for k in span.rules],
                created_at=now,
            )
        )
    return rows


@dataclass(frozen=True)
class ApplyOutcome:
    """What an apply stored, and the cables it left for later when its time budget ran out."""

    stored: int  # proposal rows written
    done: tuple[int, ...]  # cables whose proposals were replaced
    left: tuple[int, ...]  # cables not reached: their proposals are unchanged

    @property
    def incomplete(self) -> str:
        """What did not finish ('' when every cable was done)."""
        if not self.left:
            return ""
        total = len(self.done) + len(self.left)
        return f"stopped after {len(self.done)} of {total} cables: time budget reached"


def proposals_apply(cable_ids: Sequence[int], *, rules: Sequence[ActiveRule] | None = None) -> int:
    """Recompute and store the proposals of these cables; returns how many were stored.

    Cables the time budget leaves are queued again as a new task, so all get done.
    """
    outcome = proposals_apply_within(cable_ids, rules=rules)
    if outcome.left:
        log.warning("applying rules %s; the rest queued again", outcome.incomplete)
        queue_task("redaction.proposals_apply", list(outcome.left))
    return outcome.stored


def proposals_apply_within(
    cable_ids: Sequence[int],
    *,
    rules: Sequence[ActiveRule] | None = None,
    budget_s: float | None = None,
) -> ApplyOutcome:
    """Recompute and store the proposals of these cables within ``budget_s`` seconds.

    ``budget_s`` defaults to ``DECLASS_RULE_TIME_BUDGET_S``.  The budget is checked
    between cables (a cable is scanned whole or not at all) after the first one, and
    only the cables scanned have their proposals replaced.  A cable no active rule
    reaches is done at once: it just loses its proposals.
    """
    budget = settings.DECLASS_RULE_TIME_BUDGET_S if budget_s is None else budget_s
    deadline = time.monotonic() + budget
    rules = active_rules() if rules is None else rules
    headers = Cable.objects.filter(pk__in=cable_ids).values_list(
        "pk", "origin", "tags", "level", "sent_at"
    )
    applicable: dict[int, tuple[ActiveRule, ...]] = {
        pk: tuple(
            r
            for r in rules
            if r.scope.matches(origin=origin, tags=tags, level=level, sent_at=sent_at)
        )
        for pk, origin, tags, level, sent_at in headers
    }
    reached = [pk for pk, these in applicable.items() if these]
    matchers: dict[tuple[ActiveRule, ...], Matcher] = {}
    now = timezone.now()
    new_rows: list[ProposedRedaction] = []
    finished: set[int] = set()  # cables scanned whole
    current: int | None = None
    paragraphs = (
        Paragraph.objects.filter(cable_id__in=reached)
        .order_by("cable_id", "pk")
        .values_list("pk", "cable_id", "text", "level", "controls")
    )
    stopped = False
    for pk, cable_id, text, level, controls in paragraphs.iterator(chunk_size=2000):
        if cable_id != current:  # a cable boundary: the one place to stop
            if current is not None:
                finished.add(current)
                if time.monotonic() > deadline:
                    stopped = True
                    break
            current = cable_id
        these = applicable[cable_id]
        matcher = matchers.get(these)
        if matcher is None:
            matcher = matchers[these] = matcher_for(these)
        proposal = propose(text, level, controls, matcher)
        new_rows.extend(_rows(pk, cable_id, text, proposal, now))
    left = tuple(sorted(pk for pk in reached if pk not in finished)) if stopped else ()
    done = [pk for pk in applicable if pk not in set(left)] if left else list(applicable)
    with transaction.atomic():
        ProposedRedaction.objects.filter(cable_id__in=done).delete()
        ProposedRedaction.objects.bulk_create(new_rows, batch_size=2000)
    return ApplyOutcome(stored=len(new_rows), done=tuple(sorted(done)), left=left)

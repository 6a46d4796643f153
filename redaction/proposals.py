"""Apply the active redaction rules to cables and store what they propose.

Applying replaces a cable's proposals in one transaction (delete, then bulk
insert), so it is idempotent and a half-done run leaves nothing half-written.
Proposals live in their own table: reviewers' decisions are never touched.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from cables.models import Cable, Paragraph
from redaction.engine import Matcher, Proposal, compile_rules, propose
from redaction.models import ProposedRedaction
from redaction.rule_specs import ActiveRule, active_rules

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


def proposals_apply(cable_ids: Sequence[int], *, rules: Sequence[ActiveRule] | None = None) -> int:
    """Recompute and store the proposals of these cables; returns how many were stored."""
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
    by_rules: dict[tuple[ActiveRule, ...], list[int]] = defaultdict(list)
    for pk, these in applicable.items():
        if these:
            by_rules[these].append(pk)
    now = timezone.now()
    new_rows: list[ProposedRedaction] = []
    for these, ids in by_rules.items():
        matcher = matcher_for(these)
        paragraphs = Paragraph.objects.filter(cable_id__in=ids).values_list(
            "pk", "cable_id", "text", "level", "controls"
        )
        for pk, cable_id, text, level, controls in paragraphs.iterator(chunk_size=2000):
            proposal = propose(text, level, controls, matcher)
            new_rows.extend(_rows(pk, cable_id, text, proposal, now))
    with transaction.atomic():
        ProposedRedaction.objects.filter(cable_id__in=list(applicable)).delete()
        ProposedRedaction.objects.bulk_create(new_rows, batch_size=2000)
    return len(new_rows)

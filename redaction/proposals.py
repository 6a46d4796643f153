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

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
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


_COPY_COLUMNS = ("cable_id", "paragraph_id", "start", "end", "action", "labels", "rules")


def _rows(paragraph_id: int, cable_id: int, text: str, proposal: Proposal, json_of) -> list[str]:  # type: ignore[no-untyped-def]
    """The proposal's rows as COPY text lines in ``_COPY_COLUMNS`` order (no created_at)."""
    head = f"{cable_id}\t{paragraph_id}\t"
    rows = []
    if proposal.withheld_in_full:
        rows.append(
            f"{head}0\t{len(text)}\twithhold\t"
            f"{json_of(proposal.withhold_labels, proposal.withhold_rules)}"
        )
    for span in proposal.spans:
        rows.append(
            f"{head}{span.start}\t{span.end}\t{span.action}\t{json_of(span.labels, span.rules)}"
        )
    return rows


def _json_columns() -> Callable[[tuple, tuple], str]:  # type: ignore[type-arg]
    """The labels and rules columns of a row as COPY text, each distinct pair formatted once
    (an apply repeats the same few pairs thousands of times)."""
    seen: dict[tuple, str] = {}  # type: ignore[type-arg]

    def json_of(labels: tuple, rules: tuple) -> str:  # type: ignore[type-arg]
        key = (labels, rules)
        found = seen.get(key)
        if found is None:
            found = seen[key] = (
                _copy_escape(json.dumps([str(x) for x in labels]))
                + "\t"
                + _copy_escape(json.dumps([list(k) for k in rules]))
            )
        return found

    return json_of


def _copy_escape(text: str) -> str:
    """COPY's text format: a backslash doubled (JSON escapes every control character)."""
    return text.replace("\\", "\\\\")


def _store(rows: list[str], now: datetime) -> None:
    """Insert the rows with one COPY.  ``bulk_create`` spent two thirds of an apply
    turning the rows into arrays for its UNNEST insert (measured with 1,020 rules:
    6,000 proposals for 60 cables), more than the scan itself."""
    if not rows:
        return
    table = ProposedRedaction._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in (*_COPY_COLUMNS, "created_at"))
    tail = f"\t{now.isoformat()}\n"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write(tail.join(rows) + tail)


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
    rules = list(active_rules() if rules is None else rules)
    headers = Cable.objects.filter(pk__in=cable_ids).values_list(
        "pk", "origin", "tags", "level", "sent_at"
    )
    # Which rules reach each cable, as the positions of the scoped ones that do: a tuple
    # of a few ints is cheap to hash, where a tuple of a thousand rules (each a frozen
    # dataclass hashed field by field) cost 25 ms a lookup, once per paragraph (measured:
    # nine tenths of applying 1,020 rules).  Rules without a scope reach every cable.
    everywhere = tuple(i for i, r in enumerate(rules) if r.scope.everything)
    scoped = [(i, r.scope) for i, r in enumerate(rules) if not r.scope.everything]
    applicable: dict[int, tuple[int, ...]] = {
        pk: tuple(
            i
            for i, scope in scoped
            if scope.matches(origin=origin, tags=tags, level=level, sent_at=sent_at)
        )
        for pk, origin, tags, level, sent_at in headers
    }
    reached = [pk for pk, these in applicable.items() if these or everywhere]
    matchers: dict[tuple[int, ...], Matcher] = {}
    now = timezone.now()
    new_rows: list[str] = []
    json_of = _json_columns()
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
            reaching = sorted(everywhere + these)
            matcher = matchers[these] = matcher_for([rules[i] for i in reaching])
        proposal = propose(text, level, controls, matcher)
        new_rows.extend(_rows(pk, cable_id, text, proposal, json_of))
    left = tuple(sorted(pk for pk in reached if pk not in finished)) if stopped else ()
    done = [pk for pk in applicable if pk not in set(left)] if left else list(applicable)
    with transaction.atomic():
        ProposedRedaction.objects.filter(cable_id__in=done).delete()
        _store(new_rows, now)
    return ApplyOutcome(stored=len(new_rows), done=tuple(sorted(done)), left=left)

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

import gc
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cables.models import Cable, Paragraph
from config.celery import queue_task
from redaction.engine import Matcher, Proposal, compile_rules, propose_many
from redaction.models import ProposedRedaction, RedactionRule, RuleVersion
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


def _add_rows(  # type: ignore[no-untyped-def]
    rows: list[str], paragraph_id: int, cable_id: int, text: str, proposal: Proposal, json_of
) -> None:
    """Append the proposal's rows as COPY text lines in ``_COPY_COLUMNS`` order (no
    created_at)."""
    head = f"{cable_id}\t{paragraph_id}\t"
    if proposal.withheld_in_full:
        rows.append(
            f"{head}0\t{len(text)}\twithhold\t"
            f"{json_of(proposal.withhold_labels, proposal.withhold_rules)}"
        )
    rows.extend(
        f"{head}{span.start}\t{span.end}\t{span.action}\t{json_of(span.labels, span.rules)}"
        for span in proposal.spans
    )


def _add_batch_rows(  # type: ignore[no-untyped-def]
    rows: list[str], paragraphs: list[_Row], matcher: Matcher, controls_of, json_of
) -> None:
    """Append the rows of a batch's paragraphs, proposed by one :func:`propose_many`."""
    found = propose_many(
        [(text, level, controls_of(controls)) for _, _, text, level, controls in paragraphs],
        matcher,
    )
    for (pk, cable_id, text, _level, _controls), proposal in zip(paragraphs, found, strict=True):
        if proposal.spans or proposal.withheld_in_full:
            _add_rows(rows, pk, cable_id, text, proposal, json_of)


def _json_columns() -> Callable[[tuple, tuple], str]:  # type: ignore[type-arg]
    """The labels and rules columns of a row as COPY text, each distinct pair formatted once
    (an apply repeats the same few pairs thousands of times).

    Most spans come from one hit: one label, the very object the matcher holds for its rule,
    and one (rule id, version).  Those are looked up by the label's identity, which spares
    hashing the label field by field (the entry keeps the label alive, so its id cannot
    be taken by another object while the entry exists)."""
    seen: dict[tuple, str] = {}  # type: ignore[type-arg]
    by_identity: dict[tuple[int, tuple[int, int]], tuple[object, str]] = {}

    def formatted(labels: tuple, rules: tuple) -> str:  # type: ignore[type-arg]
        key = (labels, rules)
        found = seen.get(key)
        if found is None:
            found = seen[key] = (
                _copy_escape(json.dumps([str(x) for x in labels]))
                + "\t"
                + _copy_escape(json.dumps([list(k) for k in rules]))
            )
        return found

    def json_of(labels: tuple, rules: tuple) -> str:  # type: ignore[type-arg]
        if len(labels) != 1 or len(rules) != 1:
            return formatted(labels, rules)
        label = labels[0]
        key = (id(label), rules[0])
        entry = by_identity.get(key)
        if entry is None or entry[0] is not label:
            entry = by_identity[key] = (label, formatted(labels, rules))
        return entry[1]

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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for one batch (and left as it was found).

    Why: a batch's hits and proposals (some 100,000 tuples and spans for 100 cables, none
    in a cycle) stay alive until its rows are written, and the collections their
    allocations set off walked them again and again: with batches and the collector on, it
    took about 0.5 ms a cable of 1.3 (``gc.callbacks``, 1,000 dev-corpus cables in tasks of
    100, bench/pipeline.py's 1,020 rules), against under 0.1 ms with one paragraph's hits
    alive at a time.  Nothing is lost: refcounting frees all of it as before."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


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

    ``budget_s`` defaults to ``DECLASS_RULE_TIME_BUDGET_S``.  The cables are scanned in
    batches (:func:`_batches`: consecutive cables sharing a matcher, about a megabyte of
    text, the first batch one cable) with one :func:`propose_many` each, and the budget is
    checked between batches, after the first: a cable is scanned whole or not at all, and
    only the cables scanned have their proposals replaced.  So an apply overshoots its
    budget by at most one batch started just before the deadline (``_BATCH_CHARACTERS`` of
    text, or one cable if larger: about 0.1 s of CPU with 1,020 rules) where it used to
    overshoot by one cable.  A cable no active rule reaches is done at once: it just
    loses its proposals.
    """
    budget = settings.DECLASS_RULE_TIME_BUDGET_S if budget_s is None else budget_s
    deadline = time.monotonic() + budget
    rules = list(current_rules() if rules is None else rules)
    everywhere, applicable, reached = _reach(cable_ids, rules)
    matchers: dict[tuple[int, ...], Matcher] = {}
    now = timezone.now()
    new_rows: list[str] = []
    json_of = _json_columns()
    controls_of = _controls_cache()
    finished: set[int] = set()  # cables scanned whole
    stopped = False
    for number, (these, cables, paragraphs) in enumerate(
        _batches(_paragraphs(reached), applicable)
    ):
        if number and time.monotonic() > deadline:  # a batch boundary: the one place to stop
            stopped = True
            break
        matcher = matchers.get(these)
        if matcher is None:
            reaching = sorted(everywhere + these)
            matcher = matchers[these] = matcher_for([rules[i] for i in reaching])
        with _collector_paused():  # its hits and proposals are freed before it ends
            _add_batch_rows(new_rows, paragraphs, matcher, controls_of, json_of)
        finished.update(cables)
    left = tuple(sorted(pk for pk in reached if pk not in finished)) if stopped else ()
    done = [pk for pk in applicable if pk not in set(left)] if left else list(applicable)
    with transaction.atomic():
        ProposedRedaction.objects.filter(cable_id__in=done).delete()
        _store(new_rows, now)
    return ApplyOutcome(stored=len(new_rows), done=tuple(sorted(done)), left=left)


def _headers(cable_ids: Sequence[int]) -> list[tuple]:  # type: ignore[type-arg]
    """What a rule's scope reads of each cable: id, post, TAGS, level, date (one query)."""
    return list(
        Cable.objects.filter(pk__in=cable_ids).values_list(
            "pk", "origin", "tags", "level", "sent_at"
        )
    )


def _reach(
    cable_ids: Sequence[int],
    rules: Sequence[ActiveRule],
    headers: list[tuple] | None = None,  # type: ignore[type-arg]
) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]], list[int]]:
    """Which rules reach which of these cables: the positions of the rules without a scope,
    per cable the positions of the scoped rules that reach it, and the cables some rule
    reaches (sorted).  ``headers``: the cables' ``_headers``, when the caller has them."""
    if headers is None:
        headers = _headers(cable_ids)
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
    reached = sorted(pk for pk, these in applicable.items() if these or everywhere)
    return everywhere, applicable, reached


def cables_proposed_in(cable_ids: Sequence[int], *rule_sets: Sequence[ActiveRule]) -> list[int]:
    """The cables among ``cable_ids`` in which the rules of one of ``rule_sets``, alone,
    propose something.

    Why: a rule's change alters the proposals only where that rule, as it was or as it is,
    proposes something itself.  In a paragraph where it has no hit the other rules' hits
    are the same, hence their merged spans; and whether a hit is proposed depends on the
    paragraph and the rule alone (its marking and controls, the rule's level and
    scope), never on the other rules.  So activating or deactivating a rule re-applies
    every rule only to these cables, found by a scan with the one rule: with 1,020 rules
    active, re-applying costs some 2.6 ms of CPU a cable, and the scan with one rule a
    small part of that (``bench/rule_change.py``).

    Each set is compiled and scanned on its own (the versions before and after a change
    share the rule's id, which one matcher refuses); the cables' headers and paragraphs
    are read once for all sets, and a cable one set found is not scanned by the next.
    """
    sets = [list(rules) for rules in rule_sets if rules]
    if not sets or not cable_ids:
        return []
    headers = _headers(cable_ids)
    reaches = [_reach(cable_ids, rules, headers) for rules in sets]
    rows = _paragraphs(sorted({pk for _every, _applicable, reached in reaches for pk in reached}))
    found: set[int] = set()
    controls_of = _controls_cache()
    for rules, (everywhere, applicable, reached) in zip(sets, reaches, strict=True):
        wanted = set(reached) - found
        mine = (row for row in rows if row[1] in wanted)
        for these, _cables, paragraphs in _batches(mine, applicable):
            matcher = matcher_for([rules[i] for i in sorted(everywhere + these)])
            with _collector_paused():
                proposals = propose_many(
                    [(text, level, controls_of(raw)) for _, _, text, level, raw in paragraphs],
                    matcher,
                )
            found.update(
                row[1]
                for row, proposal in zip(paragraphs, proposals, strict=True)
                if proposal.spans or proposal.withheld_in_full or proposal.flagged
            )
    return sorted(found)


_Row = tuple[int, int, str, int, str]  # a paragraph: id, cable id, text, level, controls

# The table names from the models; the ids are one bound array.
_PARAGRAPHS_SQL = f"""
SELECT id, cable_id, text, level, controls FROM {Paragraph._meta.db_table}
WHERE cable_id = ANY(%s) ORDER BY cable_id, id
"""  # nosec B608


def _paragraphs(cable_ids: list[int]) -> list[_Row]:
    """(id, cable id, text, level, controls as JSON text) of these cables' paragraphs, in
    cable then id order: one plain query, no model field converters (they parsed every
    paragraph's controls again, though a corpus has a handful of distinct ones)."""
    if not cable_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_PARAGRAPHS_SQL, [cable_ids])
        return cursor.fetchall()


_BATCH_CHARACTERS = 1 << 20
"""Paragraph text a batch holds (about 100 dev-corpus cables): well past the size where
one batched scan beats scanning paragraph by paragraph (``batch._SMALL_BATCH``, 128 K),
and small enough that finishing one past the deadline costs a fraction of a second."""


def _batches(
    paragraphs: Iterable[_Row], applicable: dict[int, tuple[int, ...]]
) -> Iterator[tuple[tuple[int, ...], list[int], list[_Row]]]:
    """(matcher key, cable ids, their paragraphs) for runs of consecutive cables that share
    a matcher key, each run cut at about ``_BATCH_CHARACTERS`` of text (a cable is never
    cut; one larger than that is a batch of its own).

    Why: ``propose_many`` gains only over a large batch (one cable a call gains nothing),
    and the time budget is checked between batches.  The first batch is one cable, so an
    apply out of time at once still finishes exactly one cable, as it did when the budget
    was checked between cables."""
    key: tuple[int, ...] = ()
    cables: list[int] = []
    batch: list[_Row] = []
    size, limit = 0, -1  # the first batch closes after its first cable
    for cable_id, rows in groupby(paragraphs, itemgetter(1)):
        these = applicable[cable_id]
        own = list(rows)
        length = sum(len(row[2]) for row in own)
        if cables and (these != key or size + length > limit):
            yield key, cables, batch
            cables, batch, size, limit = [], [], 0, _BATCH_CHARACTERS
        key = these
        cables.append(cable_id)
        batch += own
        size += length
    if cables:
        yield key, cables, batch


def _controls_cache() -> Callable[[str | list[str]], list[str]]:
    """A paragraph's controls from their JSON text, each distinct text parsed once."""
    seen: dict[str, list[str]] = {}

    def controls_of(raw: str | list[str]) -> list[str]:
        if not isinstance(raw, str):  # a connection that parses JSON itself
            return raw
        found = seen.get(raw)
        if found is None:
            found = seen[raw] = json.loads(raw)
        return found

    return controls_of


_RULES_DIGEST_SQL = f"""
SELECT md5(string_agg(v.rule_id || ':' || v.version || ':' || v.definition::text, E'\\n'
                      ORDER BY v.rule_id, v.version))
FROM {RuleVersion._meta.db_table} v
JOIN {RedactionRule._meta.db_table} r ON r.id = v.rule_id
WHERE r.active AND v.version = r.active_version
"""  # nosec B608

_current: tuple[str | None, list[ActiveRule]] = ("", [])


def current_rules() -> list[ActiveRule]:
    """The active rules (``active_rules()``), read again only when they changed.

    Building them from their stored definitions took 30 ms a call with 1,020 rules, a
    tenth of applying them to 100 cables.  The digest of every active rule's id, version
    and definition is computed by PostgreSQL; the same digest means the same
    definitions, hence the same rules, in whichever database this process is pointed
    at.  (The digest and the rules are read in two statements: a rule changed between
    them is read as changed, and its new version applied; the next apply reads again.)
    """
    global _current
    with connection.cursor() as cursor:
        cursor.execute(_RULES_DIGEST_SQL)
        digest = cursor.fetchone()[0]
    if digest != _current[0]:
        _current = (digest, active_rules())
    return _current[1]

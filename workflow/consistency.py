"""Consistency across cables: text a release would publish that another cable withholds.

The same paragraph turns up in several cables (repeats, quotations,
retransmissions with small edits).  Releasing it in one cable while another
withholds it publishes what the other reviewer judged exempt, so before a
release every paragraph it would publish is looked up in the near-duplicate
index (``cables.similarity``) and checked against the current decisions of the
near-duplicates found: reviewers then see the decision taken there.

Two paragraphs conflict when

- they are near-duplicates: the Jaccard similarity of their word shingles
  reaches ``DECLASS_SIMILARITY_THRESHOLD_PCT``;
- this cable would release the paragraph: its current decision is release, or
  redact (then only the text outside its redactions counts);
- the other cable's current decision withholds the paragraph, or redacts text
  of it; and
- some of that withheld or redacted text is in what this cable would release:
  a shingle of it (three words running), or the whole of a redaction shorter
  than a shingle (a name), found among the words this cable leaves unredacted.

A referral or no decision at all in the other cable is not a conflict: nobody
has withheld anything there yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max

from cables.models import Cable, Paragraph
from cables.similarity import store
from cables.similarity.text import (
    SHINGLE_WORDS,
    Shingle,
    Word,
    jaccard,
    merged_ranges,
    shingles,
    words,
)
from workflow import access
from workflow.models import Decision
from workflow.review import current_decisions

RELEASING = (Decision.Kind.RELEASE, Decision.Kind.REDACT)
WITHHOLDING = (Decision.Kind.WITHHOLD, Decision.Kind.REDACT)


@dataclass(frozen=True)
class Conflict:
    """A paragraph this cable would release whose text another cable withholds."""

    paragraph: Paragraph  # this cable's paragraph
    other_cable: Cable
    other_paragraph: Paragraph
    other_decision: Decision  # the current decision there: withhold, or redact
    similarity: float  # Jaccard similarity of the two paragraphs' word shingles
    # Character ranges of ``paragraph.text`` that this release would publish and the
    # other cable withholds or redacts, and the exemptions it cites for them.
    exposed: tuple[tuple[int, int], ...] = field(default=())
    labels: tuple[str, ...] = field(default=())

    @property
    def passages(self) -> list[str]:
        return [self.paragraph.text[start:end] for start, end in self.exposed]

    @property
    def withheld_in_full(self) -> bool:
        return self.other_decision.kind == Decision.Kind.WITHHOLD


def release_conflicts(
    cable: Cable, *, include_undecided: bool = False, max_level: int | None = None
) -> list[Conflict]:
    """Every conflict of this cable's release with another cable's decisions (four
    queries, however many paragraphs and near-duplicates).

    ``include_undecided`` counts paragraphs without a decision as released (what a
    reviewer wants to know before deciding); ``max_level`` leaves out paragraphs
    above a viewer's clearance, whose text must not reach them.
    """
    paragraphs = cable.paragraphs.order_by("ordinal")
    if max_level is not None:
        paragraphs = paragraphs.filter(level__lte=max_level)
    return conflicts_for(
        cable, list(paragraphs), current_decisions(cable), include_undecided=include_undecided
    )


def conflicts_for(
    cable: Cable,
    paragraphs: Sequence[Paragraph],
    decisions: dict[int, Decision],
    *,
    include_undecided: bool = False,
    band_keys: Mapping[int, list[int]] | None = None,
    candidates: Sequence[int] | None = None,
    among: Collection[int] | None = None,
) -> list[Conflict]:
    """The conflicts of these paragraphs of ``cable`` given their current decisions:
    one query, and a second when near-duplicates turn up, for pages that have loaded
    both already.  ``band_keys``: the band keys (``store.keys_for``) of at least the
    paragraphs it would release, by paragraph id, when the caller has them already;
    ``candidates``: the paragraphs of other cables sharing a band key with at least
    those (``store.candidates_elsewhere``), when the caller has looked them up already
    (then no query when none turned up).  ``among``: the other cables' decisions that
    count (the ones their published releases hold), instead of each paragraph's latest
    (``releases.recheck``: what is served, not what reviewers are drafting)."""
    mine = [p for p in paragraphs if _would_release(decisions.get(p.pk), include_undecided)]
    by_key: dict[int, list[int]] = defaultdict(list)  # band key -> indexes into mine
    if band_keys is None:
        mine_keys = store.keys_for([p.text for p in mine])
    else:
        mine_keys = [band_keys[p.pk] for p in mine]
    for i, paragraph_keys in enumerate(mine_keys):
        for key in paragraph_keys:
            by_key[key].append(i)
    if not by_key:
        return []
    others = list(_withholding_near(cable, by_key, candidates, among))
    other_keys = store.keys_for([d.paragraph.text for d in others])
    released: dict[int, _Released] = {}  # built only for paragraphs with candidates
    limit = store.threshold()
    found = []
    for decision, paragraph_keys in zip(others, other_keys, strict=True):
        candidates = sorted({i for k in paragraph_keys for i in by_key.get(k, ())})
        if not candidates:
            continue
        theirs = _Withheld.of(decision)
        for i in candidates:
            if i not in released:
                released[i] = _Released.of(mine[i], decisions.get(mine[i].pk))
            ours = released[i]
            similarity = jaccard(ours.shingles, theirs.shingles)
            if similarity < limit:
                continue
            exposed, labels = ours.exposure(theirs)
            if exposed:
                found.append(
                    Conflict(
                        paragraph=ours.paragraph,
                        other_cable=decision.cable,
                        other_paragraph=decision.paragraph,
                        other_decision=decision,
                        similarity=similarity,
                        exposed=exposed,
                        labels=labels,
                    )
                )
    found.sort(key=lambda c: (c.paragraph.ordinal, -c.similarity, c.other_cable.reference_id))
    return found


def _would_release(decision: Decision | None, include_undecided: bool) -> bool:
    return decision.kind in RELEASING if decision is not None else include_undecided


def _withholding_near(
    cable: Cable,
    by_key: dict[int, list[int]],
    candidates: Sequence[int] | None = None,
    among: Collection[int] | None = None,
) -> Iterable[Decision]:
    """Current decisions that withhold or redact paragraphs of other cables sharing a
    band key with ours, with those paragraphs, cables and deciders.

    First the candidates alone (one light query, the keys as one array), then,
    only when there are any, their decisions (a second query): most cables have
    no near-duplicate elsewhere, and building the second query costs more than
    running the first.
    """
    if candidates is None:
        candidates = store.candidates_elsewhere(by_key, exclude_cable_id=cable.pk)
    if not candidates:
        return []
    if among is not None:
        chosen: Any = Decision.objects.filter(pk__in=list(among), paragraph_id__in=candidates)
    else:
        chosen = (
            Decision.objects.filter(paragraph_id__in=candidates)
            .order_by()
            .values("paragraph_id")
            .annotate(last=Max("id"))
            .values("last")
        )
        chosen = Decision.objects.filter(pk__in=chosen)
    return (
        chosen.filter(kind__in=WITHHOLDING)
        .exclude(cable_id=cable.pk)
        .select_related("paragraph", "cable", "decided_by")
        .only(
            "kind", "spans", "label", "decided_at", "paragraph", "cable", "decided_by",
            "paragraph__cable_id", "paragraph__ordinal", "paragraph__number",
            "paragraph__level", "paragraph__controls", "paragraph__text",
            "cable__reference_id", "cable__level", "cable__controls", "cable__subject",
            "decided_by__username",
        )
        .order_by("id")
    )  # fmt: skip


# -- comparing two paragraphs -------------------------------------------------------------


def _runs(text_words: list[Word], spans: Iterable[tuple[int, int]], *, inside: bool) -> list:
    """Maximal runs of consecutive words inside (or outside) the character spans; a
    word counts as inside when it overlaps a span at all."""
    spans = sorted(spans)
    runs: list[list[Word]] = [[]]
    for word in text_words:
        covered = any(s < word.end and word.start < e for s, e in spans)
        if covered == inside:
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


@dataclass
class _Withheld:
    """What another cable keeps back of a paragraph: runs of words, with their labels."""

    shingles: set[Shingle]
    runs: list[tuple[list[Word], str]]

    @classmethod
    def of(cls, decision: Decision) -> _Withheld:
        text_words = words(decision.paragraph.text)
        if decision.kind == Decision.Kind.WITHHOLD:
            runs = [(text_words, decision.label)]
        else:
            runs = [
                (run, span.get("label", ""))
                for span in decision.spans
                for run in _runs(text_words, [(span["start"], span["end"])], inside=True)
            ]
        return cls(shingles(text_words), runs)


@dataclass
class _Released:
    """A paragraph of the cable being released, and the words its decision publishes."""

    paragraph: Paragraph
    shingles: set[Shingle]
    runs: list[list[Word]]
    at: dict[Shingle, list[tuple[int, int]]]  # published shingle -> its character ranges

    @classmethod
    def of(cls, paragraph: Paragraph, decision: Decision | None) -> _Released:
        text_words = words(paragraph.text)
        redacted = []
        if decision is not None and decision.kind == Decision.Kind.REDACT:
            redacted = [(s["start"], s["end"]) for s in decision.spans]
        runs = _runs(text_words, redacted, inside=False)
        at: dict[Shingle, list[tuple[int, int]]] = defaultdict(list)
        for run in runs:
            for i in range(len(run) - SHINGLE_WORDS + 1):
                shingle = tuple(w.text for w in run[i : i + SHINGLE_WORDS])
                at[shingle].append((run[i].start, run[i + SHINGLE_WORDS - 1].end))
        return cls(paragraph, shingles(text_words), runs, at)

    def exposure(self, theirs: _Withheld) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
        """Where this paragraph publishes text the other keeps back, and the labels."""
        ranges: list[tuple[int, int]] = []
        labels: dict[str, None] = {}
        for run, label in theirs.runs:
            hits = self._find(run)
            if hits:
                ranges.extend(hits)
                labels[label] = None
        return tuple(merged_ranges(ranges)), tuple(label for label in labels if label)

    def _find(self, run: list[Word]) -> list[tuple[int, int]]:
        if len(run) >= SHINGLE_WORDS:
            return [r for shingle in shingles(run) for r in self.at.get(shingle, ())]
        wanted = [w.text for w in run]  # a name or two words: look for the whole of it
        n = len(wanted)
        return [
            (mine[i].start, mine[i + n - 1].end)
            for mine in self.runs
            for i in range(len(mine) - n + 1)
            if [w.text for w in mine[i : i + n]] == wanted
        ]


def cables_shown(user: object, conflicts: Sequence[Conflict]) -> set[int]:
    """Which of the conflicts' other cables may be named to the user (one query, none
    when there is no conflict): those whose conflicting paragraphs the user may
    read (``workflow.access``: a grant on the cable, and clearance for the
    paragraph; for every such paragraph of that cable).  The others are named
    only as "another cable", so that a conflict never reveals the reference,
    reviewer or date of a cable, or of a paragraph, the user may not read."""

    if not conflicts:
        return set()
    involved = {c.other_paragraph.pk for c in conflicts}
    readable = set(
        access.readable_paragraphs(user, Paragraph.objects.filter(pk__in=involved)).values_list(
            "pk", flat=True
        )
    )
    named = {c.other_cable.pk for c in conflicts}
    unreadable = {c.other_cable.pk for c in conflicts if c.other_paragraph.pk not in readable}
    return named - unreadable

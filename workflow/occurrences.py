"""Other occurrences of a redaction's words, and redacting them too.

A reviewer who redacts "Rosa Quint" under (b)(6) in paragraph 1 has not hidden
her while paragraph 2 says "QUINT, Rosa" and paragraph 4 "Rosa M. Quint": the
release check (``releases.withheld.repeats``) would refuse the approval later,
after the review is finished.  The review page shows those places as soon as the
redaction is made, and one button redacts them too, under the same exemption.

The words compared are the redaction's *distinctive* words, with the release
check's own definition (``cables.words``, ``check_keys``: look-alike letters, invisible
characters and line-end hyphens read as a reader sees them): any order, any case, whole words;
stop words, years and words common in the corpus do not count ("the Embassy"
redacted has no other occurrences), and in mixed-case text a word written in
small letters is vocabulary, not a name, on either side, unless it is part of an
address (an e-mail address, a URL, a host name).  Only paragraphs the
reviewer may read are searched (``workflow.access``); a withheld paragraph
releases nothing and is skipped; places already redacted are not shown again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from cables.models import Cable, Paragraph
from cables.words import (
    Keyed,
    address_ranges,
    check_keys,
    corpus_common_words,
    distinctive,
    joined_ranges,
    lower_case,
    mixed_case,
    paragraph_words,
)
from workflow import access, permissions
from workflow.models import Decision
from workflow.review import ReviewError, current_decisions, decision_record

CONTEXT_CHARS = 40  # text either side of a place, to read it in context


def where(paragraph: Paragraph) -> str:
    """How a page names a paragraph: ¶3, a heading or an unnumbered paragraph."""
    if paragraph.heading:
        return "heading"
    return f"¶{paragraph.number}" if paragraph.number else "unnumbered paragraph"


@dataclass(frozen=True)
class RedactedSpan:
    """One redaction of a reviewer's decision, with the distinctive words it removes."""

    paragraph_id: int
    where: str
    start: int
    end: int
    label: str
    text: str
    words: frozenset[str]


@dataclass(frozen=True)
class Place:
    """Where a readable paragraph shows a redaction's words again."""

    paragraph_id: int
    where: str
    start: int
    end: int
    text: str  # the words as written there
    before: str
    after: str
    based_on: int | None  # the paragraph's current decision (the page's "based on")
    decision: str  # its kind, "" when undecided
    actionable: bool  # a referred paragraph waits for the agency: not changed here

    @property
    def key(self) -> str:
        """What the page posts back for this place; stale when the paragraph's decision
        changed since the page was loaded."""
        return f"{self.paragraph_id}:{self.start}:{self.end}:{self.based_on or ''}"


@dataclass
class Occurrences:
    span: RedactedSpan
    places: list[Place] = field(default_factory=list)

    @property
    def actionable(self) -> list[Place]:
        return [p for p in self.places if p.actionable]


def _names(text: str) -> Keyed:
    """The words that can name something, read as the release check reads them
    (``cables.words.check_keys``: look-alike letters folded, characters that draw
    nothing dropped, a word hyphenated across a line joined): in mixed-case text, not
    the small-letter ones, unless they are part of an address (an e-mail address, a URL,
    a host name), which names someone in small letters too."""
    keyed = check_keys(text)
    if not mixed_case(text):
        return keyed
    addresses = address_ranges(text)
    return [
        (key, s, e)
        for key, s, e in keyed
        if not lower_case(text[s:e]) or any(a < e and s < b for a, b in addresses)
    ]


def _may_show(text: str, wanted: set[str]) -> bool:
    """Whether ``text`` may show one of the ``wanted`` words: its plain words hold one,
    or it is written in a way only ``check_keys`` reads (beyond ASCII, or with a hyphen
    that may join a word across a line)."""
    return bool(wanted.intersection(paragraph_words(text))) or not text.isascii() or "-" in text


def _redacted(decision: Decision | None) -> list[dict[str, Any]]:
    return list(decision.spans) if decision and decision.kind == Decision.Kind.REDACT else []


def find_occurrences(
    paragraphs: Sequence[Paragraph],
    decisions: Mapping[int, Decision],
    common: Collection[str],
) -> list[Occurrences]:
    """For each redaction of the (readable) ``paragraphs``, every other place they
    show its distinctive words, not already redacted, in paragraph order.

    A place found for an earlier redaction is not listed again for a later one.
    Pure: the caller reads the paragraphs through ``workflow.access``.
    """
    ordered = sorted(paragraphs, key=lambda p: p.ordinal)
    by_id = {p.pk: p for p in ordered}
    names: dict[int, Keyed] = {}

    def names_of(q: Paragraph) -> Keyed:
        if q.pk not in names:
            names[q.pk] = _names(q.text)
        return names[q.pk]

    # The distinctive words of every redaction, to leave out at once the paragraphs
    # that show none of them (most: a cheap set of words, not offsets, for those).
    wanted = {
        key
        for p in ordered
        for span in _redacted(decisions.get(p.pk))
        for key, s, e in names_of(p)
        if s < int(span["end"]) and int(span["start"]) < e and distinctive(key, common)
    }
    # Where each wanted word stands in the paragraphs that release anything (a withheld
    # one releases nothing), outside their redactions: one pass, then each redaction
    # looks up its few words instead of reading the whole cable again.
    index: dict[str, list[tuple[int, int, int]]] = {}
    for q in ordered:
        decision = decisions.get(q.pk)
        if decision is not None and decision.kind == Decision.Kind.WITHHOLD:
            continue
        if q.pk not in names and not _may_show(q.text, wanted):
            continue
        covered = [(int(c["start"]), int(c["end"])) for c in _redacted(decision)]
        for key, s, e in names_of(q):
            if key in wanted and not any(cs < e and s < ce for cs, ce in covered):
                index.setdefault(key, []).append((q.pk, s, e))
    found: list[Occurrences] = []
    claimed: dict[int, list[tuple[int, int]]] = {}
    for p in ordered:
        for span in _redacted(decisions.get(p.pk)):
            start, end = int(span["start"]), int(span["end"])
            words = {
                key
                for key, s, e in names_of(p)
                if s < end and start < e and distinctive(key, common)
            }
            if not words:
                continue  # only common words ("the Embassy"): nothing names anyone
            source = RedactedSpan(
                p.pk, where(p), start, end, str(span["label"]), p.text[start:end],
                frozenset(words),
            )  # fmt: skip
            hits: dict[int, list[tuple[int, int]]] = {}
            for word in words:
                for pid, s, e in index.get(word, ()):
                    hits.setdefault(pid, []).append((s, e))
            group = Occurrences(source)
            for pid in sorted(hits, key=lambda pid: by_id[pid].ordinal):
                q = by_id[pid]
                group.places += _places(q, decisions.get(pid), hits[pid], claimed)
            if group.places:
                found.append(group)
    return found


def _places(
    q: Paragraph,
    decision: Decision | None,
    hits: list[tuple[int, int]],
    claimed: dict[int, list[tuple[int, int]]],
) -> list[Place]:
    """The passages of ``q`` the hits make (a name in two words is one place), less
    those an earlier redaction's list already holds."""
    out = []
    taken = claimed.setdefault(q.pk, [])
    kind = decision.kind if decision else ""
    for start, end in joined_ranges(q.text, hits):
        if any(s < end and start < e for s, e in taken):
            continue
        taken.append((start, end))
        out.append(
            Place(
                q.pk, where(q), start, end, q.text[start:end],
                q.text[max(0, start - CONTEXT_CHARS) : start],
                q.text[end : end + CONTEXT_CHARS],
                decision.pk if decision else None, kind,
                actionable=kind != Decision.Kind.REFER,
            )
        )  # fmt: skip
    return out


def occurrences_for(
    paragraphs: Sequence[Paragraph], decisions: Mapping[int, Decision]
) -> list[Occurrences]:
    """``find_occurrences`` with the corpus's common words, read only when some
    paragraph is redacted (so a page with no redaction pays no query for them)."""
    if not any(_redacted(decisions.get(p.pk)) for p in paragraphs):
        return []
    return find_occurrences(paragraphs, decisions, corpus_common_words())


def redact_occurrences(
    *, user: Any, cable: Cable, source_id: int, start: int, end: int, chosen: Collection[str]
) -> list[Decision]:
    """Redact the ``chosen`` places (``Place.key``) where the cable shows again the words
    of the redaction ``start``-``end`` of paragraph ``source_id``, under its exemption.

    Each changed paragraph gets a new redact decision keeping its own redactions, made
    through ``decision_record`` like any other (permissions, clearance, audit), all in
    one transaction.  The places are found again here, from what the user may read
    now: a posted place that is not (the text, or the paragraph's decision, changed
    since the page was loaded) refuses the whole request, so nothing is redacted that
    the reviewer did not see.
    """
    permissions.require_cable_perm(user, permissions.REVIEW, cable)
    paragraphs = list(access.cleared_paragraphs(user, cable).order_by("ordinal"))
    for p in paragraphs:
        p.cable = cable
    decisions = current_decisions(cable)
    group = next(
        (
            o
            for o in occurrences_for(paragraphs, decisions)
            if (o.span.paragraph_id, o.span.start, o.span.end) == (source_id, start, end)
        ),
        None,
    )
    wanted = set(chosen)
    places = [p for p in group.actionable if p.key in wanted] if group else []
    if not wanted or len(places) != len(wanted):
        raise ReviewError(
            "the cable changed since you loaded it (a redaction or a decision is not what "
            "the page showed); reload it and check the places again"
        )
    by_id = {p.pk: p for p in paragraphs}
    targets: dict[int, list[Place]] = {}
    for place in places:
        targets.setdefault(place.paragraph_id, []).append(place)
    label = group.span.label  # type: ignore[union-attr]
    note = f"redacts again the words of the {label} redaction in {group.span.where}"  # type: ignore[union-attr]
    recorded = []
    with transaction.atomic():
        for pid, mine in targets.items():
            current = decisions.get(pid)
            spans = _redacted(current) + [
                {"start": p.start, "end": p.end, "label": label} for p in mine
            ]
            recorded.append(
                decision_record(
                    user=user, paragraph=by_id[pid], kind=Decision.Kind.REDACT,
                    based_on=current.pk if current else None, spans=spans, note=note,
                )
            )  # fmt: skip
    return recorded

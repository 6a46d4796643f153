"""What a release withholds: the withholding index, and the text fragments that must not leak.

Both are computed straight from the paragraphs' original text and the approved
decisions, never from a rendered release, so that verification can hold every
output against them independently of the code that produced the outputs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# The word logic is shared with the review page (workflow), which sits below this app.
from cables.words import COMMON_PARAGRAPH_PCT as COMMON_PARAGRAPH_PCT
from cables.words import INVISIBLE as _INVISIBLE
from cables.words import MIN_CORPUS_PARAGRAPHS as MIN_CORPUS_PARAGRAPHS
from cables.words import NAME_GAP as NAME_GAP
from cables.words import STOP_WORDS as STOP_WORDS
from cables.words import Keyed, distinctive, joined_ranges, word_keys
from cables.words import address_ranges as _address_ranges
from cables.words import check_keys as check_keys
from cables.words import common_words as common_words
from cables.words import lower_case as _lower_case
from cables.words import mixed_case as _mixed_case
from cables.words import paragraph_words as paragraph_words
from redaction.engine import parse_label
from redaction.engine.labels import labels_union
from releases.numbering import paragraph_prefix, printed_mark

WINDOW_WORDS = 4  # a withheld paragraph may not leak this many consecutive words
# A released paragraph of the same cable may not repeat this many consecutive words
# of a withheld one (a sentence, not a stock phrase such as "of the ministry of":
# on the dev corpus, 4-word runs are shared by most cables' paragraphs).  Shorter
# shared runs are left to the reviewers; a redaction may never be repeated whole.
REPEAT_WORDS = 8
CONTEXT_CHARS = 16  # released text either side of a redaction, to catch it leaked in place


def normalize(text: str) -> str:
    """The form every comparison uses: NFKC, case-folded, with no whitespace at all.

    Layout differs between formats (line wrapping in the PDF, boxes as tags in
    HTML), words do not: removing whitespace makes a leak match however the
    output happens to break its lines.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return "".join(folded.split())


# -- the word check's own reading of a word -------------------------------------------------
# ``word_keys`` is shared with the near-duplicate index (its stored band hashes), so it
# stays as it is; the release check reads a word more broadly, here, on both sides of
# the comparison: a withheld word and the released text it is looked for in.


def _run_keys(text: str) -> Keyed:
    """``check_keys`` for runs of words in order: without the hyphen joins."""
    return check_keys(text, joins=False)


def _vocabulary(text: str, cased: bool, addresses: Sequence[tuple[int, int]]) -> Any:
    """A test of ``(start, end)``: whether the word there is ordinary vocabulary, written
    in small letters in mixed-case text (``cased``) and not part of an address."""

    def test(start: int, end: int) -> bool:
        if not cased or not _lower_case(text[start:end]):
            return False
        return not any(s < end and start < e for s, e in addresses)

    return test


class _Paragraph(Protocol):
    id: int
    ordinal: int
    number: str
    marking: str
    explicit: bool
    text: str


class _Decision(Protocol):
    kind: str
    spans: tuple[tuple[int, int, str], ...]
    label: str


def merged_spans(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Redactions in order, overlapping ones merged into one box citing both exemptions."""
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, label in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), [*last[2], label])
        else:
            merged.append((start, end, [label]))
    return [
        (start, end, str(labels_union(parse_label(x) for x in labels)))
        for start, end, labels in merged
    ]


@dataclass(frozen=True)
class WithheldItem:
    """One entry of the withholding index: what was withheld, where, and why (no text)."""

    paragraph: str  # the paragraph's number, or its position when unnumbered
    ordinal: int
    kind: str  # "redaction" | "paragraph"
    start: int
    end: int
    label: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "paragraph": self.paragraph,
            "ordinal": self.ordinal,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "characters": self.end - self.start,
            "exemption": self.label,
        }


def withholding_index(
    paragraphs: Sequence[_Paragraph], decisions: Mapping[int, _Decision]
) -> list[WithheldItem]:
    """Every withheld item of the release, in paragraph order."""
    items: list[WithheldItem] = []
    for p in sorted(paragraphs, key=lambda p: p.ordinal):
        d = decisions.get(p.id)
        where = p.number or str(p.ordinal)
        if d is None:
            continue
        if d.kind == "withhold":
            label = str(parse_label(d.label))
            items.append(WithheldItem(where, p.ordinal, "paragraph", 0, len(p.text), label))
        elif d.kind == "redact":
            items.extend(
                WithheldItem(where, p.ordinal, "redaction", s, e, label)
                for s, e, label in merged_spans(d.spans)
            )
    return items


@dataclass(frozen=True)
class Fragment:
    """A piece of withheld text (``text``), and how it is compared (``key``)."""

    text: str
    key: str
    where: str  # e.g. "text redacted from paragraph 3 ((b)(6))": never the text itself
    label: str
    context: bool = False  # includes released text next to the deletion


def _prefix(p: _Paragraph) -> str:
    return paragraph_prefix(p.number, printed_mark(p.marking, p.explicit))


def _fragment(text: str, where: str, label: str, context: bool = False) -> Fragment | None:
    key = normalize(text)
    return Fragment(text, key, where, label, context) if key else None


def _span_fragments(p: _Paragraph, d: _Decision) -> Iterator[Fragment | None]:
    spans = merged_spans(d.spans)
    for i, (start, end, label) in enumerate(spans):
        where = f"text redacted from paragraph {p.number or p.ordinal} ({label})"
        secret = p.text[start:end]
        yield _fragment(secret, where, label)
        previous_end = spans[i - 1][1] if i else 0
        next_start = spans[i + 1][0] if i + 1 < len(spans) else len(p.text)
        left = p.text[previous_end:start][-CONTEXT_CHARS:] if start > previous_end else ""
        if start == 0:
            left = _prefix(p)
        right = p.text[end:next_start][:CONTEXT_CHARS]
        if left.strip():
            yield _fragment(left + secret, where, label, context=True)
        if right.strip():
            yield _fragment(secret + right, where, label, context=True)


def _withheld_fragments(p: _Paragraph, d: _Decision) -> Iterator[Fragment | None]:
    label = str(parse_label(d.label))
    where = f"text of paragraph {p.number or p.ordinal}, withheld in full ({label})"
    yield _fragment(p.text, where, label)
    words = p.text.split()
    for i in range(max(0, len(words) - WINDOW_WORDS + 1)):
        yield _fragment(" ".join(words[i : i + WINDOW_WORDS]), where, label)


def secret_fragments(
    paragraphs: Sequence[_Paragraph], decisions: Mapping[int, _Decision]
) -> list[Fragment]:
    """The fragments no output may contain beyond what the release shows anyway.

    For each redaction: the redacted text, and the same text joined to the
    released text beside it (a span leaked in place reads like that); for each
    withheld paragraph: its whole text and every run of ``WINDOW_WORDS`` words.
    """
    found: dict[str, Fragment] = {}
    for p in sorted(paragraphs, key=lambda p: p.ordinal):
        d = decisions.get(p.id)
        if d is None:
            continue
        produced: Iterable[Fragment | None] = ()
        if d.kind == "redact":
            produced = _span_fragments(p, d)
        elif d.kind == "withhold":
            produced = _withheld_fragments(p, d)
        for fragment in produced:
            if fragment is not None and fragment.key not in found:
                found[fragment.key] = fragment
    return list(found.values())


# -- whole words: what a header may show, and what a released paragraph may repeat -----------


Run = tuple[str, ...]


@dataclass(frozen=True)
class ReleasedRun:
    """Consecutive words a paragraph releases, with each word's character range."""

    paragraph: str
    ordinal: int
    words: Run
    ranges: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, p: _Paragraph, keyed: Keyed) -> ReleasedRun:
        number = p.number or str(p.ordinal)
        ranges = tuple((s, e) for _, s, e in keyed)
        return cls(number, p.ordinal, tuple(k for k, _, _ in keyed), ranges)


def _runs_outside(keyed: Keyed, spans: Iterable[tuple[int, int, str]]) -> list[Keyed]:
    """Runs of consecutive words touching no span (a word a span overlaps is not released)."""
    spans = list(spans)
    runs: list[Keyed] = [[]]
    for word in keyed:
        if any(s < word[2] and word[1] < e for s, e, _ in spans):
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(word)
    return [run for run in runs if run]


@dataclass(frozen=True)
class Secret:
    """A run of withheld words: a redaction (every word it touches) or a paragraph's."""

    words: Run
    where: str  # never the text itself
    label: str
    kind: str  # "redaction" | "paragraph"


def word_view(
    paragraphs: Sequence[_Paragraph],
    decisions: Mapping[int, _Decision],
    *,
    keys: Callable[[str], Keyed] = word_keys,
) -> tuple[list[ReleasedRun], list[Secret]]:
    """The runs of words the decisions release, and the runs they withhold.

    ``keys`` reads a paragraph's words: ``word_keys``, as header fields are read
    (``header_hits``); the release check's runs read them more broadly.
    """
    released: list[ReleasedRun] = []
    secrets: list[Secret] = []
    for p in sorted(paragraphs, key=lambda p: p.ordinal):
        d = decisions.get(p.id)
        if d is None:
            continue
        number = p.number or str(p.ordinal)
        keyed = keys(p.text)
        if d.kind == "release" and keyed:
            released.append(ReleasedRun.of(p, keyed))
        elif d.kind == "redact":
            spans = merged_spans(d.spans)
            released += [ReleasedRun.of(p, run) for run in _runs_outside(keyed, spans)]
            for s, e, label in spans:
                touched = tuple(k for k, start, end in keyed if s < end and start < e)
                where = f"text redacted from paragraph {number} ({label})"
                if touched:
                    secrets.append(Secret(touched, where, label, "redaction"))
        elif d.kind == "withhold" and keyed:
            label = str(parse_label(d.label))
            where = f"text of paragraph {number}, withheld in full ({label})"
            secrets.append(Secret(tuple(k for k, _, _ in keyed), where, label, "paragraph"))
    return released, secrets


def _windows(secret: Secret) -> list[Run]:
    """What of a secret a released paragraph may not repeat: a redaction whole; each run
    of ``REPEAT_WORDS`` words of a withheld paragraph (the whole of a shorter one)."""
    n = REPEAT_WORDS
    if secret.kind != "paragraph" or len(secret.words) <= n:
        return [secret.words]
    return [secret.words[i : i + n] for i in range(len(secret.words) - n + 1)]


class _Shown:
    """Released runs, searchable for a run of whole words (joined by spaces, which no
    word contains, so a match is always of whole words and never spans two runs)."""

    def __init__(self, runs: Iterable[ReleasedRun]) -> None:
        self.runs = list(runs)
        self.texts = [" " + " ".join(r.words) + " " for r in self.runs]
        self.text = "\n".join(self.texts)

    def shows(self, run: Run) -> bool:
        return f" {' '.join(run)} " in self.text

    def places(self, run: Run) -> Iterator[tuple[ReleasedRun, int, int]]:
        """Each released run showing ``run``, with the character range it shows it at."""
        needle = f" {' '.join(run)} "
        for released, text in zip(self.runs, self.texts, strict=True):
            at = text.find(needle)
            while at >= 0:
                first = text.count(" ", 0, at)  # the words before the match
                last = first + len(run) - 1
                yield released, released.ranges[first][0], released.ranges[last][1]
                at = text.find(needle, at + 1)


@dataclass(frozen=True)
class HeaderFragment:
    """A run of whole words that a header field, the title or the signature may not show."""

    words: Run
    where: str
    label: str


def header_fragments(
    paragraphs: Sequence[_Paragraph], decisions: Mapping[int, _Decision]
) -> list[HeaderFragment]:
    """What header fields must box: every redaction, every withheld paragraph and each run
    of ``WINDOW_WORDS`` of its words, and every single word of withheld or redacted text,
    unless the released paragraphs show the same whole words in the same order.

    Header fields are not decided paragraph by paragraph, so this errs towards boxing:
    a word withheld in one place and released in none is boxed wherever a header
    repeats it, even a short common word (over-boxing, never a leak).
    """
    released, secrets = word_view(paragraphs, decisions)
    shown = _Shown(released)
    found: dict[Run, tuple[str, list[str]]] = {}

    def add(run: Run, secret: Secret) -> None:
        if run in found:
            found[run][1].append(secret.label)
        elif not shown.shows(run):
            found[run] = (secret.where, [secret.label])

    for secret in secrets:
        for run in [secret.words, *_windows(secret), *((w,) for w in secret.words)]:
            add(run, secret)
    return [
        HeaderFragment(run, where, str(labels_union(parse_label(x) for x in labels)))
        for run, (where, labels) in found.items()
    ]


def header_hits(value: str, fragments: Sequence[HeaderFragment]) -> list[tuple[int, int, str]]:
    """Where in ``value`` a fragment's words stand as whole words (character ranges)."""
    keyed = word_keys(value)
    by_first: dict[str, list[HeaderFragment]] = {}
    for fragment in fragments:
        by_first.setdefault(fragment.words[0], []).append(fragment)
    keys = tuple(k for k, _, _ in keyed)
    hits = []
    for i, key in enumerate(keys):
        for fragment in by_first.get(key, ()):
            n = len(fragment.words)
            if keys[i : i + n] == fragment.words:
                hits.append((keyed[i][1], keyed[i + n - 1][2], fragment.label))
    return hits


def header_leak(value: str, fragments: Sequence[HeaderFragment]) -> HeaderFragment | None:
    """The first fragment whose words ``value`` shows, if any."""
    keys = " " + " ".join(k for k, _, _ in word_keys(value)) + " "
    for fragment in fragments:
        if f" {' '.join(fragment.words)} " in keys:
            return fragment
    return None


def repeated_in_released(
    paragraphs: Sequence[_Paragraph],
    decisions: Mapping[int, _Decision],
    common: Collection[str] | None = None,
) -> list[str]:
    """Released paragraphs that repeat withheld text of the same cable, as problems
    naming where (paragraph and characters), never the text.

    A redaction whose words a released paragraph shows whole and in order, or a run
    of ``REPEAT_WORDS`` words of a withheld paragraph that one shows, publishes what
    the reviewers withheld; so does a distinctive word of a redaction, or a
    distinctive proper name of a withheld paragraph, shown in any order or case
    (``repeats``; the word check needs ``common``, the corpus's common words).  The
    outputs cannot be faulted for it (it is what the decisions release), so the
    decisions themselves have to change.
    """
    return place_problems(repeat_places(paragraphs, repeats(paragraphs, decisions, common)))


def place_problems(places: Iterable[tuple[str, int, str, list[tuple[int, int]]]]) -> list[str]:
    """``repeat_places`` as problems: where, and what it repeats, never the text."""
    return [
        f"paragraph {paragraph}, characters {', '.join(f'{s}-{e}' for s, e in ranges)}, "
        f"repeats {what}: the reviewers must redact it there too"
        for paragraph, _, what, ranges in places
    ]


# -- distinctive words: a redacted name may not be released in another form ---------------
# (what a distinctive word is: ``cables.words``, shared with the review page)

_SENTENCE_END = frozenset(".!?:;")
_OPENERS = frozenset("\"'([\u2018\u201c\u00ab-\u2013\u2014")


def _sentence_start(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (or the paragraph)."""
    i = start - 1
    while i >= 0 and (text[i].isspace() or text[i] in _OPENERS):
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


def proper_names(text: str, keyed: Keyed) -> Keyed:
    """The words of a withheld paragraph that are written as names.

    In ordinary mixed-case text: a capitalised word that does not open a sentence,
    a word written in capitals ("QUINT", as cables write surnames), and a
    capitalised word that opens a sentence but stands capitalised inside one too.
    In a paragraph with no lower-case letter at all (older telegrams are all
    capitals), case tells nothing, so every word is a candidate: the distinctive
    ones (``distinctive``) are then checked, which errs towards blocking.
    """
    if not any(c.islower() for c in text):
        return list(keyed)
    names: Keyed = []
    inside: set[str] = set()
    openers: Keyed = []
    for key, start, end in keyed:
        surface = text[start:end]
        if not surface[:1].isupper():
            continue
        letters = [c for c in surface if c.isalpha()]
        if len(letters) > 1 and all(c.isupper() for c in letters):
            names.append((key, start, end))
        elif _sentence_start(text, start):
            openers.append((key, start, end))
        else:
            names.append((key, start, end))
            inside.add(key)
    names += [w for w in openers if w[0] in inside]
    return sorted(names, key=lambda w: w[1])


@dataclass(frozen=True)
class Repeat:
    """Released text that repeats what the decisions withhold elsewhere in the cable."""

    paragraph: str  # the released paragraph's number (or position)
    ordinal: int
    start: int
    end: int
    what: str  # the withheld text it repeats, named by place and exemption (never the text)
    how: str  # "run" (the same words in order) | "word" (a distinctive word, any order)


def secret_words(
    paragraphs: Sequence[_Paragraph],
    decisions: Mapping[int, _Decision],
    common: Collection[str],
    *,
    by_case: bool = True,
) -> dict[str, list[str]]:
    """Each distinctive word the decisions withhold, with the places that withhold it
    (``Secret.where``): every distinctive word a redaction touches, and the
    distinctive proper names of withheld paragraphs (``proper_names``).

    ``by_case``: in mixed-case text, a word a redaction touches that is written in
    small letters ("the station" of "the station BLUEHERON") is ordinary
    vocabulary there, not a name, place or codename, so not distinctive; unless it
    is part of an address ("oriol.varga@mod.example"), which names someone in
    small letters.  Words are read as ``check_keys`` reads them."""
    found: dict[str, list[str]] = {}

    def add(key: str, where: str) -> None:
        places = found.setdefault(key, [])
        if where not in places:
            places.append(where)

    for p in sorted(paragraphs, key=lambda p: p.ordinal):
        d = decisions.get(p.id)
        if d is None or d.kind not in ("redact", "withhold"):
            continue
        number = p.number or str(p.ordinal)
        keyed = check_keys(p.text)
        if d.kind == "redact":
            vocabulary = _vocabulary(
                p.text, by_case and _mixed_case(p.text), _address_ranges(p.text)
            )
            for s, e, label in merged_spans(d.spans):
                where = f"text redacted from paragraph {number} ({label})"
                for key, start, end in keyed:
                    touched = s < end and start < e
                    if touched and not vocabulary(start, end) and distinctive(key, common):
                        add(key, where)
        else:
            label = str(parse_label(d.label))
            where = f"text of paragraph {number}, withheld in full ({label})"
            for key, _, _ in proper_names(p.text, keyed):
                if distinctive(key, common):
                    add(key, where)
    return found


def repeats(
    paragraphs: Sequence[_Paragraph],
    decisions: Mapping[int, _Decision],
    common: Collection[str] | None = None,
    *,
    by_case: bool = True,
) -> list[Repeat]:
    """Every place a released paragraph repeats withheld text of the same cable.

    Given ``common`` (the words common in the corpus), by words: each distinctive
    word of a redaction, and each distinctive proper name of a withheld paragraph,
    wherever a released paragraph shows it, in any order or case ("Rosa Quint"
    redacted is repeated by "QUINT, Rosa" and by "Rosa M. Quint"); and by runs for
    withheld paragraphs: ``REPEAT_WORDS`` words of one running.  A redaction of
    common words only ("the Embassy") then blocks nothing: its words are in
    paragraphs everywhere, and a release showing "the Embassy" elsewhere tells
    nothing of what was redacted.  Without ``common`` (a pure check of outputs,
    with no corpus to say what is common), a redaction is checked by its words
    whole and in order instead.

    ``by_case`` (the default): where the text has both small and capital letters, a
    word written in small letters is ordinary vocabulary, neither a name withheld
    nor a name released: "the station" does not repeat a redacted "CIA STATION
    BLUEHERON", though "Station Chief" would.  Words are still compared whatever
    their case ("QUINT" is "Quint"); in all-capital text every word counts.
    ``bench/false_blocks.py`` measures how many false blocks this saves.
    """
    released, secrets = word_view(paragraphs, decisions, keys=_run_keys)
    shown = _Shown(released)
    found: list[Repeat] = []
    for secret in secrets:
        if common is not None and secret.kind == "redaction":
            continue  # checked by its distinctive words below
        for run in _windows(secret):
            if shown.shows(run):
                for where, start, end in shown.places(run):
                    found.append(Repeat(where.paragraph, where.ordinal, start, end,
                                        secret.where, "run"))  # fmt: skip
    if common is not None:
        withheld = secret_words(paragraphs, decisions, common, by_case=by_case)
        if withheld:
            found += _word_repeats(paragraphs, decisions, withheld, by_case=by_case)
    return found


def _word_repeats(
    paragraphs: Sequence[_Paragraph],
    decisions: Mapping[int, _Decision],
    withheld: Mapping[str, list[str]],
    *,
    by_case: bool,
) -> Iterator[Repeat]:
    """Each released word (``check_keys``: look-alike letters, characters that draw
    nothing, a word hyphenated across a line) that is a withheld distinctive word,
    unless it is vocabulary there (small letters in mixed-case text, outside an
    address)."""
    for p in sorted(paragraphs, key=lambda p: p.ordinal):
        d = decisions.get(p.id)
        if d is None or d.kind not in ("release", "redact"):
            continue
        spans = merged_spans(d.spans) if d.kind == "redact" else []
        number = p.number or str(p.ordinal)
        vocabulary = None
        for key, start, end in check_keys(p.text):
            if key not in withheld or any(s < end and start < e for s, e, _ in spans):
                continue
            if vocabulary is None:
                cased = by_case and _mixed_case(p.text)
                vocabulary = _vocabulary(p.text, cased, _address_ranges(p.text))
            if not vocabulary(start, end):
                for what in withheld[key]:
                    yield Repeat(number, p.ordinal, start, end, what, "word")


def repeat_places(
    paragraphs: Sequence[_Paragraph], found: Iterable[Repeat]
) -> list[tuple[str, int, str, list[tuple[int, int]]]]:
    """The repeats grouped by released paragraph and withheld text, as
    ``(paragraph, ordinal, what, character ranges)`` in paragraph order; hits no
    more than ``NAME_GAP`` characters apart read as one passage."""
    texts = {p.ordinal: p.text for p in paragraphs}
    grouped: dict[tuple[int, str, str], list[tuple[int, int]]] = {}
    for r in found:
        grouped.setdefault((r.ordinal, r.paragraph, r.what), []).append((r.start, r.end))
    out = []
    for (ordinal, paragraph, what), ranges in sorted(grouped.items()):
        out.append((paragraph, ordinal, what, joined_ranges(texts.get(ordinal, ""), ranges)))
    return out

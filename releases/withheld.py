"""What a release withholds: the withholding index, and the text fragments that must not leak.

Both are computed straight from the paragraphs' original text and the approved
decisions, never from a rendered release, so that verification can hold every
output against them independently of the code that produced the outputs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from cables.similarity.text import ENCODING_ERRORS, merged_ranges, words
from redaction.engine import parse_label
from redaction.engine.labels import labels_union

WINDOW_WORDS = 4  # a withheld paragraph may not leak this many consecutive words
# A released paragraph of the same cable may not repeat this many consecutive words
# of a withheld one (a sentence, not a stock phrase such as "of the ministry of":
# on the dev corpus, 4-word runs are shared by most cables' paragraphs).  Shorter
# shared runs are left to the reviewers; a redaction may never be repeated whole.
REPEAT_WORDS = 8
CONTEXT_CHARS = 16  # released text either side of a redaction, to catch it leaked in place
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def normalize(text: str) -> str:
    """The form every comparison uses: NFKC, case-folded, with no whitespace at all.

    Layout differs between formats (line wrapping in the PDF, boxes as tags in
    HTML), words do not: removing whitespace makes a leak match however the
    output happens to break its lines.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return "".join(folded.split())


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
    number = f"{p.number}." if p.number else ""
    mark = f"({p.marking})" if p.explicit and p.marking else ""
    return " ".join(x for x in (number, mark) if x)


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


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    if ord(char) in _INVISIBLE:
        return ""
    return unicodedata.normalize("NFKC", char).casefold()


def word_keys(text: str) -> list[tuple[str, int, int]]:
    """The words of ``text`` as compared, with their character offsets in ``text``.

    A word is what ``cables.similarity.text.words`` says, read after the same
    folding as ``normalize`` (NFKC, case-folded, invisible characters dropped), so
    that ``BLUE\u00adHERON`` or a full-width ``ＬＥＥ`` is the word it looks like.
    Whole words, never substrings: "LEE" is not shown by "fleet".
    """
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for out in _fold(char):
            folded.append(out)
            origin.append(i)
    clean = "".join(folded)
    return [
        (
            unicodedata.normalize("NFC", w.text.decode("utf-8", ENCODING_ERRORS)),
            origin[w.start],
            origin[w.end - 1] + 1,
        )
        for w in words(clean)
    ]


Run = tuple[str, ...]
Keyed = list[tuple[str, int, int]]


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
    paragraphs: Sequence[_Paragraph], decisions: Mapping[int, _Decision]
) -> tuple[list[ReleasedRun], list[Secret]]:
    """The runs of words the decisions release, and the runs they withhold."""
    released: list[ReleasedRun] = []
    secrets: list[Secret] = []
    for p in sorted(paragraphs, key=lambda p: p.ordinal):
        d = decisions.get(p.id)
        if d is None:
            continue
        number = p.number or str(p.ordinal)
        keyed = word_keys(p.text)
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
    paragraphs: Sequence[_Paragraph], decisions: Mapping[int, _Decision]
) -> list[str]:
    """Released paragraphs that repeat withheld text of the same cable, as problems
    naming where (paragraph and characters), never the text.

    A redaction whose words a released paragraph shows whole and in order, or a run
    of ``REPEAT_WORDS`` words of a withheld paragraph that one shows, publishes what
    the reviewers withheld.  The outputs cannot be faulted for it (it is what the
    decisions release), so the decisions themselves have to change.
    """
    released, secrets = word_view(paragraphs, decisions)
    shown = _Shown(released)
    found: dict[tuple[int, str, str], list[tuple[int, int]]] = {}
    for secret in secrets:
        for run in _windows(secret):
            if shown.shows(run):
                for where, start, end in shown.places(run):
                    key = (where.ordinal, where.paragraph, secret.where)
                    found.setdefault(key, []).append((start, end))
    problems = []
    for (_, paragraph, what), ranges in sorted(found.items()):
        at = ", ".join(f"{s}-{e}" for s, e in merged_ranges(ranges))
        problems.append(
            f"paragraph {paragraph}, characters {at}, repeats {what}: "
            "the reviewers must redact it there too"
        )
    return problems

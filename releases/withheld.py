"""What a release withholds: the withholding index, and the text fragments that must not leak.

Both are computed straight from the paragraphs' original text and the approved
decisions, never from a rendered release, so that verification can hold every
output against them independently of the code that produced the outputs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
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

# English function words (the usual stop-word lists: articles, pronouns, auxiliaries,
# prepositions, conjunctions, quantifiers), with the months and days of the week,
# which a redacted date shares with any other date.  A word of one character, or
# of digits only, is never distinctive either: an initial or a number says nothing
# alone.  Everything else is decided by the corpus (``common_words``).
STOP_WORDS = frozenset(
    """
    a about above after again against all almost along already also although always am
    among an and another any anyone anything are around as at away back be because been
    before being below between both but by can cannot could did do does doing done down
    during each either else enough etc even ever every few for from further get gets got
    had has have having he her here hers herself him himself his how however i if in into
    is it its itself just least less let like made make many may me might mine more most
    much must my myself neither never next no nor not now of off often on once one only
    onto or other others otherwise our ours ourselves out over own per perhaps quite
    rather said same say says shall she should since so some still such than that the
    their theirs them themselves then there these they this those though through thus to
    too toward towards under until up upon us very via was we well were what whatever when
    where whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves mr mrs ms dr
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
# "Common in the corpus": a word in more than this share of the stored paragraphs.
# On the 250 dev cables (2,567 paragraphs), 5% keeps 211 words common: the stock
# vocabulary of cables (embassy, ambassador, minister, government, security,
# meeting, party...), while names and places stay distinctive (Mugabe is in 8
# paragraphs, Moscow in 30, Russia in 112).  1% would also make "Moscow" common.
COMMON_PARAGRAPH_PCT = 5.0
# Below this many paragraphs a share says nothing (in a corpus of three paragraphs
# every word is "common"): only the stop words are common then.
MIN_CORPUS_PARAGRAPHS = 200
_WORD_CHARS = re.compile("[A-Za-z0-9\u0080-\u009f\u00c0-\u1fff\u2070-\U0010ffff]+")


def paragraph_words(text: str) -> set[str]:
    """The distinct word keys of ``text`` (as ``word_keys`` reads them, without offsets)."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return {unicodedata.normalize("NFC", w) for w in _WORD_CHARS.findall(folded)}


def common_words(
    texts: Iterable[str],
    *,
    pct: float = COMMON_PARAGRAPH_PCT,
    min_paragraphs: int = MIN_CORPUS_PARAGRAPHS,
) -> frozenset[str]:
    """The words in more than ``pct`` percent of ``texts`` (a document frequency).

    Why a document frequency over the stored paragraphs, and not a shipped
    frequency list of general English: what is common in cables is not what is
    common in English.  "Embassy", "ambassador", "démarche" or "MFA" are rare in
    English and in most cable paragraphs; "Rosa" or "Smith" are common English
    words (a name list, a frequency list) but name one person in a cable.  The
    stored paragraphs say which words cables use everywhere.  A paragraph counts
    a word once, so one long paragraph repeating a name does not make it common.
    ``releases.services.corpus_common_words`` reads the texts (a seeded sample of
    at most 20,000 paragraphs, one query) and caches the result per process until
    the table grows by a tenth.
    """
    counts: Counter[str] = Counter()
    total = 0
    for text in texts:
        total += 1
        counts.update(paragraph_words(text))
    if total < min_paragraphs:
        return frozenset()
    limit = total * pct / 100
    return frozenset(w for w, n in counts.items() if n > limit)


def distinctive(word: str, common: Collection[str]) -> bool:
    """A word that can name someone or something: not a stop word, not common in the
    corpus, not a single character; a number only from three digits on and when it is
    no year (1900-2099): a day or a count says nothing alone, a telephone or passport
    number does."""
    if len(word) < 2 or word in STOP_WORDS or word in common:
        return False
    if word.isdigit():
        return len(word) >= 3 and not (len(word) == 4 and 1900 <= int(word) <= 2099)
    return True


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


def _mixed_case(text: str) -> bool:
    return any(c.islower() for c in text) and any(c.isupper() for c in text)


def _lower_case(surface: str) -> bool:
    """A word written in small letters only (a number is not)."""
    letters = [c for c in surface if c.isalpha()]
    return bool(letters) and all(c.islower() for c in letters)


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
    vocabulary there, not a name, place or codename, so not distinctive."""
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
        keyed = word_keys(p.text)
        if d.kind == "redact":
            cased = by_case and _mixed_case(p.text)
            for s, e, label in merged_spans(d.spans):
                where = f"text redacted from paragraph {number} ({label})"
                for key, start, end in keyed:
                    touched = s < end and start < e
                    named = not (cased and _lower_case(p.text[start:end]))
                    if touched and named and distinctive(key, common):
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
    released, secrets = word_view(paragraphs, decisions)
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
        texts = {p.ordinal: p.text for p in paragraphs}
        for run in released:
            text = texts.get(run.ordinal, "")
            cased = by_case and _mixed_case(text)
            for key, (start, end) in zip(run.words, run.ranges, strict=True):
                if key not in withheld or (cased and _lower_case(text[start:end])):
                    continue
                for what in withheld[key]:
                    found.append(Repeat(run.paragraph, run.ordinal, start, end, what, "word"))
    return found


NAME_GAP = 4  # characters between two hits read as one name ("QUINT, Rosa", "Rosa M. Quint")


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
        joined: list[tuple[int, int]] = []
        text = texts.get(ordinal, "")
        for start, end in merged_ranges(ranges):
            gap = text[joined[-1][1] : start] if joined else None
            if gap is not None and len(gap) <= NAME_GAP and not any(c.isdigit() for c in gap):
                joined[-1] = (joined[-1][0], end)
            else:
                joined.append((start, end))
        out.append((paragraph, ordinal, what, joined))
    return out

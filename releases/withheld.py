"""What a release withholds: the withholding index, and the text fragments that must not leak.

Both are computed straight from the paragraphs' original text and the approved
decisions, never from a rendered release, so that verification can hold every
output against them independently of the code that produced the outputs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from workflow.redaction import parse_label
from workflow.redaction.labels import labels_union

WINDOW_WORDS = 4  # a withheld paragraph may not leak this many consecutive words
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


def pattern_for(text: str) -> re.Pattern[str]:
    """A regex finding ``text`` whatever the case and the whitespace between characters."""
    chars = [re.escape(c) for c in text if not c.isspace()]
    return re.compile(r"\s*".join(chars), re.IGNORECASE)

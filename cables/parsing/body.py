"""Split the body into portions (paragraphs) at real markers, and find the signature.

A line starts a new paragraph when it begins with a portion mark, or with the
next paragraph number (numbered sub-lists inside a paragraph, "1. ... 2. ...",
do not restart the numbering); reflowed lines are also cut at a mid-line
"N. (C)" when N is the next number.  Everything between markers stays with
the paragraph above it, so no text is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cables.parsing.fields import PortionMark
from cables.parsing.markers import Marker, list_letter, match_marker, split_midline

Line = tuple[int, str]

_MAX_NUMBER_GAP = 3  # "¶2." after "¶1." may skip a number or two, not twenty
_MARKER_FIRST = frozenset("\u00b60123456789(")
_AFTER = frozenset({" ", ".", ")"})


@dataclass(slots=True)
class Draft:
    """A paragraph being collected: its marker and its lines as written."""

    number: str
    line: int
    marker: str = ""
    mark_raw: str | None = None
    mark: PortionMark | None = None
    bad_mark: str | None = None
    entire_text: PortionMark | None = None
    lines: list[str] = field(default_factory=list)
    list_letters: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        """The paragraph text: leading blank lines and trailing whitespace removed."""
        lines = self.lines
        start = 0
        while start < len(lines) and not lines[start].strip():
            start += 1
        return "\n".join(lines[start:]).rstrip()

    @property
    def numbered(self) -> bool:
        """Has a paragraph number (not unnumbered text or a bare portion mark)."""
        return bool(self.number)


@dataclass(slots=True)
class Body:
    drafts: list[Draft]
    signature: str | None = None


def read_body(lines: list[Line]) -> Body:
    """Paragraph drafts in order; text before the first marker is an unnumbered draft.

    One loop with cheap first-character tests on purpose: every body line of
    every imported cable passes through here, so most lines must cost only a
    slice and an append.
    """
    drafts: list[Draft] = []
    current: Draft | None = None
    expected = 1
    for no, text in lines:
        head = text[:2] if text[:1] not in (" ", "\t") else text.lstrip(" \t")[:2]
        if not head:  # blank line: the commonest case, nothing to look for
            if current is None:
                current = Draft(number="", line=no)
                drafts.append(current)
            current.lines.append(text)
            continue
        marker = (
            match_marker(text, list_letters=current.list_letters if current else ())
            if head and (head[0] in _MARKER_FIRST or (head[0].isalpha() and head[1:] in _AFTER))
            else None
        )
        if marker is not None and _completes_number(marker, current):
            _take_mark(current, marker)  # "17." then "(C) text" on the next line
            text = marker.rest
        elif marker is not None and _starts_paragraph(marker, expected, current):
            current = _start(drafts, marker, no)
            expected = _next_expected(marker, expected)
            text = marker.rest
        elif current is None:
            current = Draft(number="", line=no)
            drafts.append(current)
        trailing = (
            _trailing_number(text, expected)
            if "." in text[-6:] and ("---" in text or "===" in text)
            else None
        )
        if trailing is not None:
            current.lines.append(text[: trailing.start()].rstrip())
            current = Draft(number=trailing.group("num"), line=no, marker=trailing.group(0).strip())
            drafts.append(current)
            expected = int(trailing.group("num")) + 1
            continue
        while "(" in text and (".(" in text or ". (" in text):
            found = split_midline(text, expected)
            if found is None:
                break
            before, mid = found
            current.lines.append(before)
            current = _start(drafts, mid, no)
            expected = _next_expected(mid, expected)
            text = mid.rest
        current.lines.append(text)
        if "(" in text[:8]:
            letter = list_letter(text)
            if letter:
                current.list_letters.add(letter)
    drafts = [d for d in drafts if d.text or d.marker]
    signature = _take_signature(drafts)
    return Body(drafts, signature)


_TRAILING_NUMBER_RE = re.compile(r"(?<=[-=_*~ \t])[ \t]*(?P<num>\d{1,3})\.[ \t]*$")
_RULE_RE = re.compile(r"[-=_*~]{3,}")


def _trailing_number(text: str, expected: int) -> re.Match[str] | None:
    """A paragraph number written at the end of a heading ("--- Health --- 5.")."""
    tail = text.rstrip()
    if len(tail) < 5 or tail[-1] != "." or not tail[-2].isdigit() or not _RULE_RE.search(tail):
        return None
    m = _TRAILING_NUMBER_RE.search(text)
    if m is None or int(m.group("num")) != expected:
        return None
    return m


def _completes_number(marker: Marker, current: Draft | None) -> bool:
    """An unnumbered mark right after a bare paragraph number gives that paragraph its mark."""
    return (
        current is not None
        and not marker.number
        and marker.mark is not None
        and current.numbered
        and current.mark is None
        and not current.text
    )


def _take_mark(draft: Draft, marker: Marker) -> None:
    draft.mark, draft.mark_raw = marker.mark, marker.mark_raw
    draft.marker = f"{draft.marker} {marker.marker}".strip()


def _starts_paragraph(marker: Marker, expected: int, current: Draft | None) -> bool:
    """A numbered line without a mark starts a paragraph only when it is the next number."""
    if marker.mark is not None or marker.entire_text is not None or not marker.number:
        return True
    base = marker.base
    if base is None:
        return True
    if "." in marker.number:
        return base >= expected - 1
    return expected <= base <= expected + _MAX_NUMBER_GAP or (current is None and base <= 3)


def _next_expected(marker: Marker, expected: int) -> int:
    base = marker.base
    return max(expected, base + 1) if base is not None else expected


def _start(drafts: list[Draft], marker: Marker, no: int) -> Draft:
    draft = Draft(
        number=marker.number,
        line=no,
        marker=marker.marker,
        mark_raw=marker.mark_raw,
        mark=marker.mark,
        bad_mark=marker.bad_mark,
        entire_text=marker.entire_text,
    )
    drafts.append(draft)
    return draft


# --- signature -------------------------------------------------------------------------

_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "la", "le", "du", "di", "al"})
_NOT_NAMES = frozenset(
    {
        "END",
        "COMMENT",
        "SUMMARY",
        "NOTE",
        "BT",
        "NNNN",
        "SIPDIS",
        "NOFORN",
        "UNCLASSIFIED",
        "CONFIDENTIAL",
        "SECRET",
        "UNCLAS",
        "TEXT",
        "ENDS",
        "CABLE",
        "ACTION",
        "REQUEST",
        "REF",
        "INTRODUCTION",
        "BACKGROUND",
        "CONCLUSION",
        "REPORT",
    }
)
_NAME_LINE_RE = re.compile(
    r"^\s*(?P<name>(?:(?:van|von|de|da|del|der|la|le|du|di|al)\s+)?[A-Z][A-Za-z'\u2019-]+"
    r"(?:[ \t]+[A-Za-z][A-Za-z'\u2019-]+){0,2})\.{0,2}\s*$"
)
_GLUED_NAME_RE = re.compile(
    r"(?<=[.!?)\"\u201d])\s+(?P<name>[A-Z][A-Z'-]{2,}(?:\s[A-Z][A-Z'-]{2,})?)\.{0,2}\s*$"
)


def _take_signature(drafts: list[Draft]) -> str | None:
    """The signer's name on the last line (removed from the text), or glued to its end."""
    if not drafts:
        return None
    last = drafts[-1]
    content = [i for i, line in enumerate(last.lines) if line.strip()]
    if len(content) >= 2 or (content and not last.marker and len(drafts) > 1):
        index = content[-1]
        name = _signature_name(last.lines[index])
        if name and _stands_alone(last.lines, index, name):
            del last.lines[index:]
            return name
    if content:
        tail = last.lines[content[-1]]
        glued = _GLUED_NAME_RE.search(tail)
        if glued and any(c.islower() for c in tail) and _plausible(glued.group("name")):
            return glued.group("name")
    return None


def _stands_alone(lines: list[str], index: int, name: str) -> bool:
    """A name line after a blank line or a finished sentence; not a wrapped last word."""
    previous = lines[index - 1].rstrip() if index > 0 else ""
    if previous and not previous.endswith((".", "!", "?", '"', ")", "\u201d", ":")):
        return False
    return name.isupper() or not lines[index].rstrip().endswith(".")


def _signature_name(line: str) -> str | None:
    m = _NAME_LINE_RE.match(line)
    if m is None or len(m.group("name")) > 40:
        return None
    name = m.group("name")
    words = name.split()
    if not _plausible(name):
        return None
    for word in words:
        if word.lower() in _PARTICLES:
            continue
        if not (word.isupper() or word[0].isupper()):
            return None
    return name


def _plausible(name: str) -> bool:
    words = name.upper().split()
    return not any(w.strip(".") in _NOT_NAMES for w in words)


# --- headings -----------------------------------------------------------------------------

_HEADING_LINE_RE = re.compile(
    r"^\s*(?:[-=_*~]{3,}[ \t]*(?:[A-Za-z][^.!?:]{0,60}?[ \t]*[-=_*~]{3,})?|"
    r"[-=_ \t]*[A-Za-z][^.!?]{0,60}?[-=_ \t]*)\s*$"
)


def is_heading(draft: Draft) -> bool:
    """An unnumbered, unmarked draft made only of headings and rules ("Summary" / "----")."""
    if draft.numbered or draft.mark is not None:
        return False
    content = [line for line in draft.lines if line.strip()]
    return 0 < len(content) <= 4 and all(_HEADING_LINE_RE.match(line) for line in content)

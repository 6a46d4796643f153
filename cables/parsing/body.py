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

from cables.parsing import fields as f
from cables.parsing.fields import PortionMark
from cables.parsing.markers import (
    PARAGRAPH_ONE_RE,
    Marker,
    list_letter,
    match_marker,
    number_without_period,
    split_inline,
    split_midline,
    with_control_parenthesis,
)

Line = tuple[int, str]

_MAX_NUMBER_GAP = 3  # "¶2." after "¶1." may skip a number or two, not twenty
_MARKER_FIRST = frozenset("\u00b60123456789(-")  # "-": a marked bullet "-- (S)"
_AFTER = frozenset({" ", ".", ")"})
# Two-letter starts of a marker: "PARA 1. (C)", and roman numerals "II. (S)".
_WORD_HEADS = frozenset({"PA", "Pa", "pa"} | {a + b for a in "IVX" for b in "IVX"})


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
    nos: list[int] = field(default_factory=list)  # the source line of each of ``lines``
    list_letters: set[str] = field(default_factory=set)
    heading: bool = False  # a heading found between paragraphs (its own element)
    # Marks of bulleted lines inside the paragraph ("-- (S) ..."): the bullets stay in
    # their paragraph, but a mark above the paragraph's own raises it (core._paragraphs).
    inner: tuple[PortionMark, ...] = ()  # a tuple: nothing to allocate for most drafts

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
    bullet_marks: tuple[PortionMark, ...] = ()  # every marked bullet's mark, in order
    schedule: str | None = None  # "GP-3" above the signer's name (pre-1973 telegrams)


def read_body(lines: list[Line], *, continued: bool = False) -> Body:
    """Paragraph drafts in order; text before the first marker is an unnumbered draft.

    ``continued``: the text is a later section of a cable, whose paragraph numbers
    go on from the section before ("7." may be its first paragraph).

    One loop with cheap first-character tests on purpose: every body line of
    every imported cable passes through here, so most lines must cost only a
    slice and an append.
    """
    drafts: list[Draft] = []
    current: Draft | None = None
    expected = 1
    bullets: dict[int, PortionMark] = {}  # line number -> mark of a marked bullet
    for no, text in lines:
        head = text[:2] if text[:1] not in (" ", "\t") else text.lstrip(" \t")[:2]
        if not head:  # blank line: the commonest case, nothing to look for
            if current is None:
                current = Draft(number="", line=no)
                drafts.append(current)
            current.lines.append(text)
            current.nos.append(no)
            continue
        first = head[0]
        marker = None
        if (first in _MARKER_FIRST and (first != "-" or "(" in text[:8])) or (
            first.isalpha() and (head[1:] in _AFTER or head in _WORD_HEADS)
        ):
            marker = match_marker(
                text, list_letters=current.list_letters if current else frozenset()
            )
            if marker is None:
                if (first.isdigit() or first in "\u00b6Pp") and "(" in text[:16]:
                    marker = number_without_period(text, expected)  # "1 (C)", "Para 1 (C)"
            elif marker.mark is not None and marker.rest[:1] == "(":
                marker = with_control_parenthesis(marker)  # "2. (S) (NF) text"
        if marker is None or marker.bullet:
            if marker is not None and marker.mark is not None:
                bullets[no] = marker.mark  # kept as text of its paragraph; its mark counts
            if current is None:
                current = Draft(number="", line=no)
                drafts.append(current)
        elif current is not None and _completes_number(marker, current):
            _take_mark(current, marker)  # "17." then "(C) text" on the next line
            text = marker.rest
        elif _starts_paragraph(marker, expected, current) or (
            continued and expected == 1 and marker.base is not None
        ):
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
            current.nos.append(no)
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
            current.nos.append(no)
            current = _start(drafts, mid, no)
            expected = _next_expected(mid, expected)
            text = mid.rest
        while current.mark is not None and "(" in text and _may_hold_inline(text):
            inline = split_inline(text, current.mark.marking, current.list_letters)
            if inline is None:
                break
            before, mid = inline
            if any(c.isalnum() for c in before):
                current.lines.append(before)
                current.nos.append(no)
            else:  # "#. (U) text": a number lost to the scraper, kept with the mark
                mid = mid._replace(marker=f"{before.strip()} {mid.marker}")
            current = _start(drafts, mid, no)
            text = mid.rest
        current.lines.append(text)
        current.nos.append(no)
        if "(" in text[:8]:
            letter = list_letter(text)
            if letter:
                current.list_letters.add(letter)
    if drafts and not any(d.number or d.mark for d in drafts):
        drafts = _split_lettered(drafts)
    drafts = _split_tail(_split_headings(drafts))
    drafts = [d for d in drafts if d.marker or _has_text(d.lines)]
    if bullets:
        _attach_bullets(drafts, bullets)
    signature = _take_signature(drafts)
    schedule = _take_schedule(drafts)
    return Body(drafts, signature, tuple(bullets.values()), schedule)


# "A. THE PARTY CONGRESS OPENED ...": a lettered paragraph at the left margin.
_LETTERED_OPENING_RE = re.compile(r"(?P<letter>[A-Z])\.[ \t]+(?=\S)")


def _split_lettered(drafts: list[Draft]) -> list[Draft]:
    """A body written as lettered paragraphs ("A.", "B.", "C.", unmarked) split at each.

    Called only when no paragraph is numbered or marked: lettered items inside a
    numbered paragraph stay in it, and lettered references belong to the header.
    A letter counts only at the left margin after a blank line, and only in
    sequence from A, and at least A and B: "A. SMITH WILL ..." alone is prose.
    """
    starts: list[tuple[int, int, re.Match[str]]] = []  # (draft index, line index, match)
    expected = "A"
    for d, draft in enumerate(drafts):
        lines = draft.lines
        for i, line in enumerate(lines):
            if line[:1] != expected or line[1:2] != ".":
                continue
            m = _LETTERED_OPENING_RE.match(line)
            if m is not None and (i == 0 or not lines[i - 1].strip()):
                starts.append((d, i, m))
                expected = chr(ord(expected) + 1)
    if len(starts) < 2:
        return drafts
    cut: dict[int, list[tuple[int, re.Match[str]]]] = {}
    for d, i, m in starts:
        cut.setdefault(d, []).append((i, m))
    out: list[Draft] = []
    for d, draft in enumerate(drafts):
        out.extend(_lettered_parts(draft, cut[d]) if d in cut else [draft])
    return out


def _lettered_parts(draft: Draft, cuts: list[tuple[int, re.Match[str]]]) -> list[Draft]:
    """The draft cut before each lettered opening; the text above the first stays it."""
    out: list[Draft] = []
    first = cuts[0][0]
    if first > 0 and _has_text(draft.lines[:first]):
        head = Draft(number=draft.number, line=draft.line, lines=draft.lines[:first])
        head.nos = draft.nos[:first]
        out.append(head)
    ends = [i for i, _ in cuts[1:]] + [len(draft.lines)]
    for (i, m), end in zip(cuts, ends, strict=True):
        part = Draft(number=m.group("letter"), line=draft.nos[i], marker=f"{m.group('letter')}.")
        part.lines = [draft.lines[i][m.end() :], *draft.lines[i + 1 : end]]
        part.nos = draft.nos[i:end]
        out.append(part)
    return out


_END_OF_MESSAGE = frozenset({"NNN", "NNNN"})
_TELEGRAM_RESUMES = ("PAGE ", "FM ", "VZCZC")


def split_end_of_message(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """The lines down to the last end-of-message line ("NNN"), and those after it when
    they are an archive's record ("Draft Date: ...", "<< END OF DOCUMENT >>").  The
    mark may follow the signer's name on its line ("KISSINGER NNN").

    Why: nothing after "NNN" was transmitted; read as text it would be glued to the
    last paragraph and hide the signature.  Lines after it stay when the telegram goes
    on (a next section: a page header, routing, a classification line, paragraph 1).
    """
    for i in range(len(lines) - 1, -1, -1):
        s = lines[i][1].strip()
        if s not in _END_OF_MESSAGE and not (s.endswith("NNN") and _name_before_end_mark(s)):
            continue
        after = lines[i + 1 :]
        if any(text.strip() for _, text in after) and not any(
            _telegram_goes_on(text) for _, text in after
        ):
            return lines[: i + 1], after
        break
    return lines, []


def _telegram_goes_on(text: str) -> bool:
    s = text.strip()
    if s.startswith(_TELEGRAM_RESUMES) or PARAGRAPH_ONE_RE.match(s):
        return True
    banner = f.read_banner(s) if s[:1] in f.BANNER_FIRST else None
    return banner is not None and banner.full


_INLINE_AFTER = frozenset('.:;!?"\u201d')


def _may_hold_inline(text: str) -> bool:
    """A mark may stand inside the line: "(" and a capital after a sentence's end or a
    colon and one or two spaces (what ``split_inline`` reads).

    Why a loop over the "(": nearly every line of a reflowed cable holds one, and
    finding each with str.find costs a third of five substring searches or of the
    pattern over the whole line.
    """
    k = text.find("(")
    while k > 1:
        if (
            text[k - 1] == " "
            and (
                text[k - 2] in _INLINE_AFTER
                or (k > 2 and text[k - 2] == " " and text[k - 3] in _INLINE_AFTER)
            )
            and text[k + 1 : k + 2].isupper()
        ):
            return True
        k = text.find("(", k + 1)
    return False


def _attach_bullets(drafts: list[Draft], bullets: dict[int, PortionMark]) -> None:
    """Give each draft the marks of the bullets among its lines (after every split)."""
    for draft in drafts:
        draft.inner = tuple(bullets[no] for no in draft.nos if no in bullets)


_TRAILING_NUMBER_RE = re.compile(r"(?<=[-=_*~ \t])[ \t]*(?P<num>\d{1,3})\.[ \t]*$")
_RULE_RE = re.compile(r"[-=_*~]{3,}")


def _has_text(lines: list[str]) -> bool:
    """``Draft.text`` is not empty (without joining the lines to find out)."""
    return any(line.strip() for line in lines)


def _trailing_number(text: str, expected: int) -> re.Match[str] | None:
    """A paragraph number written at the end of a heading ("--- Health --- 5.")."""
    tail = text.rstrip()
    if len(tail) < 5 or tail[-1] != "." or not tail[-2].isdigit() or not _RULE_RE.search(tail):
        return None
    m = _TRAILING_NUMBER_RE.search(text)
    if m is None or int(m.group("num")) != expected:
        return None
    return m


def _completes_number(marker: Marker, current: Draft) -> bool:
    """An unnumbered mark right after a bare paragraph number gives that paragraph its mark."""
    return (
        not marker.number
        and marker.mark is not None
        and current.numbered
        and current.mark is None
        and not _has_text(current.lines)
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


# --- headings between paragraphs ----------------------------------------------------------

_UNDERLINE_RE = re.compile(r"^\s*[-=_]{3,}(?:[ \t]+[-=_]{2,})*\s*$")
_RULED_TITLE_RE = re.compile(
    r"^\s*[-=_~*]{3,}[ \t]*(?P<title>[A-Za-z][^.!?]{0,70}?)[ \t]*[-=_~*]{3,}\s*$"
)
_UNDERLINED_TITLE_RE = re.compile(r"^\s*(?P<title>[A-Za-z0-9\"'(][^\t]{0,79}?)\s*$")
_CAPS_TITLE_RE = re.compile(r"^\s*(?P<title>[A-Z][A-Z0-9 ,/&'():-]{1,58}[A-Z0-9)])\s*$")
_NOT_TITLE_RE = re.compile(
    r"^\s*(?:BEGIN|END|ENDS|QUOTE|UNQUOTE|BT|NNNN?|SIPDIS|NOFORN|MINIMIZE|CONFIDENTIAL|SECRET|"
    r"UNCLASSIFIED|UNCLAS|TOP\s+SECRET|LIMITED\s+OFFICIAL\s+USE|TEXT|PARA|PARAGRAPH|CABLE\s+ENDS)\b"
    r"|^\s*X{4,}\W*$|://"
    r"|^\s*(?:\(?[A-Za-z0-9]{1,3}[.)]|--?|[*\u2022])\s"
)
_SENTENCE_END = (".", "!", "?", '"', "'", ")", ":", "\u201d", "]")


def _split_headings(drafts: list[Draft]) -> list[Draft]:
    """Headings written between paragraphs become drafts of their own.

    Without this a heading ("Syria/Lebanon" over a line of dashes, "--- Health ---",
    or an all-caps line alone between blank lines) is glued to the end of the
    paragraph above it.  The heading's text is its title, without the rules.
    """
    out: list[Draft] = []
    for n, draft in enumerate(drafts, 1):
        while True:
            found = _find_heading(
                draft, more_after=n < len(drafts), at_start=not draft.marker and bool(out)
            )
            if found is None:
                out.append(draft)
                break
            start, title_at, end, title = _with_rules(draft.lines, *found)
            head = Draft(
                number="", line=draft.nos[title_at], lines=[title], nos=[draft.nos[title_at]]
            )
            head.heading = True
            rest = Draft(number="", line=draft.nos[end] if end < len(draft.nos) else head.line)
            rest.lines, rest.nos = draft.lines[end:], draft.nos[end:]
            del draft.lines[start:], draft.nos[start:]
            out.extend((draft, head))
            draft = rest
    return out


def _find_heading(
    draft: Draft, *, more_after: bool, at_start: bool
) -> tuple[int, int, int, str] | None:
    """(first line, title line, line after, title) of a heading after the draft's text.

    ``at_start``: the draft is unnumbered text after another draft, so a heading
    may also be its first line (the text before paragraph one is left to is_heading).
    """
    lines = draft.lines
    seen_text = at_start
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if not seen_text:
            seen_text = True  # a heading first in a draft is is_heading's business
            continue
        before = lines[i - 1].strip() if i > 0 else ""
        ruled = _RULED_TITLE_RE.match(line) if "---" in line or "===" in line else None
        if ruled and (not before or before.endswith(_SENTENCE_END)):
            if _after_text(lines, i + 1, more_after) and not _NOT_TITLE_RE.match(ruled["title"]):
                return i, i, i + 1, ruled.group("title").strip()
            continue
        under = i + 1 < len(lines) and _UNDERLINE_RE.match(lines[i + 1]) is not None
        if under:
            start = i - 1 if i > 0 and _UNDERLINE_RE.match(lines[i - 1]) else i  # rule above
            above = lines[start - 1].strip() if start > 0 else ""
            title = _UNDERLINED_TITLE_RE.match(line)
            if (
                title
                and (not above or above.endswith(_SENTENCE_END))
                and not line.rstrip().endswith((".", ",", ";"))
                and not _NOT_TITLE_RE.match(line)
                and _after_text(lines, i + 2, more_after)
            ):
                return start, i, i + 2, title.group("title")
            continue
        if before or (i + 1 < len(lines) and lines[i + 1].strip()):
            continue  # an all-caps heading stands alone between blank lines
        caps = _CAPS_TITLE_RE.match(line) if line.isupper() else None
        if (
            caps
            and sum(c.isalpha() for c in line) >= 4
            and not _NOT_TITLE_RE.match(line)
            and _after_text(lines, i + 1, more_after)
        ):
            return i, i, i + 1, caps.group("title")
    return None


def _with_rules(lines: list[str], start: int, title_at: int, end: int, title: str):
    """Widen a heading over the rules set off by blank lines above and below its title."""
    j = start - 1
    while j >= 0 and (not lines[j].strip() or _UNDERLINE_RE.match(lines[j])):
        if lines[j].strip():
            start = j
        j -= 1
    k = end
    while k < len(lines) and (not lines[k].strip() or _UNDERLINE_RE.match(lines[k])):
        if lines[k].strip():
            end = k + 1
        k += 1
    return start, title_at, end, title


def _after_text(lines: list[str], start: int, more_after: bool) -> bool:
    """Text follows (in this draft or a later one): a heading is never the cable's last line,
    nor the signer's name over a scraper's footer ("BLEICH" / "EPET @ EL PAIS")."""
    return more_after or any(
        len(line.strip()) >= 30 and not _TRAILER_RE.match(line) for line in lines[start:]
    )


# --- unnumbered paragraphs after the last numbered one -------------------------------------

_TRAILER_RE = re.compile(
    r"^[\s=_*~-]*(?:END\s+(?:OF\s+)?(?:[A-Z]+\s+)?(?:TEXT|QUOTE|STATEMENT|CABLE)|ENDS?|UNQUOTE|BT|"
    r"NNNN?|#\s?\d{1,5}|MINIMIZE\s+CONSIDERED|CABLE\s+ENDS)[\W_]*$"
    r"|^[\W_]*$|^\W*(?:For\s+more\s+reporting\b|Visit\b.{0,80}\bweb\s?site)|^\s*https?://",
    re.I,
)
_INTRO_RE = re.compile(
    r"^\s*(?:BEGIN\s+(?:[A-Z]+\s+)?(?:TEXT|QUOTE|STATEMENT)|QUOTE|TEXT\s+FOLLOWS)\W*$", re.I
)
_CONTINUES_RE = re.compile(r"^\s*(?:[a-z]|\(?[A-Za-z0-9]{1,3}[.)]\s|--?\s|[*\u2022]\s)")


def _split_tail(drafts: list[Draft]) -> list[Draft]:
    """Blank-line separated paragraphs after the last numbered one become portions.

    A quoted statement after "5. (U) ... statement follows:" is not part of
    paragraph 5: each of its paragraphs is a portion of its own (unnumbered,
    unmarked: it inherits, rules 2.2).  Kept with the block above are lines that
    continue it (lower case, a list item, a sentence cut by a page break) and the
    end of the cable ("END TEXT", the signer's name, "BT", "#1234", "NNN(N)").
    """
    last = max((i for i, d in enumerate(drafts) if d.numbered), default=None)
    if last is None:
        return drafts
    out = drafts[:last]
    for draft in drafts[last:]:
        out.extend(_blocks(draft) if not draft.heading else [draft])
    return out


def _blocks(draft: Draft) -> list[Draft]:
    lines = draft.lines
    starts: list[int] = []  # first line of each blank-line separated block
    for i, line in enumerate(lines):
        if line.strip() and (i == 0 or not lines[i - 1].strip()):
            starts.append(i)
    if len(starts) < 2:
        return [draft]
    bounds = [*starts, len(lines)]
    blocks = [(bounds[k], bounds[k + 1]) for k in range(len(starts))]
    trailer_from = len(blocks)
    while trailer_from > 1 and _is_trailer(lines, *blocks[trailer_from - 1]):
        trailer_from -= 1
    for k in range(trailer_from - 1, 0, -1):  # the signer's name over a short scraped footer
        if not all(len(line.strip()) < 30 for line in lines[blocks[k][0] : blocks[k][1]]):
            break
        if _is_trailer(lines, *blocks[k]) and any(
            _signature_line(line) for line in lines[blocks[k][0] : blocks[k][1]]
        ):
            trailer_from = k
            break
    cuts: list[int] = []  # block indexes that start a new portion
    for k in range(1, trailer_from):
        a, _ = blocks[k]
        previous = _last_text(lines, *blocks[k - 1])
        if (
            _CONTINUES_RE.match(lines[a])
            or not previous.endswith(_SENTENCE_END)
            or _only_rules(lines, a, blocks[k][1])
        ):
            continue
        if cuts and cuts[-1] == k - 1 and _is_intro(lines, *blocks[k - 1]):
            continue  # "BEGIN TEXT:" stays with the paragraph it introduces
        if not cuts and k == 1 and _is_intro(lines, *blocks[0]) and not draft.marker:
            continue
        cuts.append(k)
    if not cuts:
        return [draft]
    out = [draft]
    edges = [blocks[k][0] for k in cuts] + [len(lines)]
    for a, b in zip(edges, edges[1:], strict=False):
        out.append(Draft(number="", line=draft.nos[a], lines=lines[a:b], nos=draft.nos[a:b]))
    del draft.lines[edges[0] :], draft.nos[edges[0] :]
    return out


def _only_rules(lines: list[str], a: int, b: int) -> bool:
    return not any(c.isalnum() for line in lines[a:b] for c in line)


def _last_text(lines: list[str], a: int, b: int) -> str:
    return next((line.strip() for line in reversed(lines[a:b]) if line.strip()), "")


def _is_trailer(lines: list[str], a: int, b: int) -> bool:
    content = [line for line in lines[a:b] if line.strip()]
    return all(_TRAILER_RE.match(line) or _signature_line(line) for line in content)


def _is_intro(lines: list[str], a: int, b: int) -> bool:
    content = [line for line in lines[a:b] if line.strip()]
    return len(content) == 1 and _INTRO_RE.match(content[0]) is not None


# --- signature -------------------------------------------------------------------------

_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "la", "le", "du", "di", "al"})
_NOT_NAMES = frozenset(
    {
        "END",
        "COMMENT",
        "SUMMARY",
        "NOTE",
        "BT",
        "NNN",
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
# A capitalised surname alone after a mixed-case sentence's full stop ("... Said. Scobey").
_GLUED_SURNAME_RE = re.compile(r"(?<=[.!?])\s+(?P<name>[A-Z][a-z]{2,}(?:-[A-Z][a-z]{2,})?)\s*$")
# Words that may close a message and are no surname.
_CLOSING_WORDS = frozenset(
    {"THANKS", "THANK", "REGARDS", "SINCERELY", "CHEERS", "BEST", "YES", "NO", "QUOTE", "UNQUOTE"}
)
# "Visit London's Classified Website: XXXXXXXXXXXX TUTTLE" (or "...XXXXXXXXXXXXTUTTLE"):
# the footer's address redacted, the signer's name after it on the same line.
_WEBSITE_NAME_RE = re.compile(
    r"Classified\s+[Ww]ebsite\s*[:;]?\s*X{12}\s*(?P<name>(?!X)[A-Z][A-Za-z'\u2019-]{2,})\s*$"
)
# How many lines above the name a "Classified Website" footer is looked for (the footer,
# a blank line, its address, a rule of "*").
_FOOTER_REACH = 4
_SCHEDULE_LINE_RE = re.compile(r"^\s*GP[- ]?\d\s*$")  # "GP-3": a declassification schedule


def _take_signature(drafts: list[Draft]) -> str | None:
    """The signer's name on the last line (removed from the text), or glued to its end."""
    if not drafts:
        return None
    _drop_transmission_end(drafts[-1])
    note = _cut_desk_note(drafts[-1])
    name = _signature_of_last(drafts)
    if note is not None:
        drafts.append(note)
    return name


# "NOTE BY OC/T: NOT PASSED USUN.": the Department's telegraphic desk's note under the
# signer's name in 1970s telegrams (S/S-O: the Operations Center's).
_DESK_NOTE_RE = re.compile(r"^\s*NOTE\s+BY\s+(?:OC/T|S/S-O|S/S)\s*:")


def _cut_desk_note(last: Draft) -> Draft | None:
    """The desk's note below the signer's name, cut from the last paragraph as its own.

    Why: below the name, the note made the name no last line, so the signature was lost
    and the name and note read as text of the last paragraph.
    """
    lines = last.lines
    at = next(
        (i for i, line in enumerate(lines) if line[:1] in " N" and _DESK_NOTE_RE.match(line)), -1
    )
    if at < 1:
        return None
    above = next((line for line in reversed(lines[:at]) if line.strip()), "")
    if not _signature_line(above):
        return None
    note = Draft(number="", line=last.nos[at], lines=lines[at:], nos=last.nos[at:])
    del last.lines[at:], last.nos[at:]
    return note


def _signature_of_last(drafts: list[Draft]) -> str | None:
    last = drafts[-1]
    _drop_transmission_end(last)
    content = [i for i, line in enumerate(last.lines) if line.strip()]
    if len(content) >= 3 and _under_the_name(last.lines[content[-1]]):
        if _signature_line(last.lines[content[-2]]):
            content.pop()  # the name is read over it, and both leave the text
    if len(content) >= 2 or (content and not last.marker and len(drafts) > 1):
        index = content[-1]
        name = _signature_line(last.lines[index])
        if name and _stands_alone(last.lines, index, name):
            del last.lines[index:]
            del last.nos[index:]
            return name
    if content:
        return _glued_signature(last, content[-1])
    return None


def _take_schedule(drafts: list[Draft]) -> str | None:
    """The downgrading group ("GP-3") when it stands as the last paragraph, taken out.

    Why: telegrams before 1973 close with their group under E.O. 10501 above the
    signer's name; after a blank line below unmarked paragraphs it became a last
    paragraph of its own.  Below a marked paragraph it is left to join that paragraph,
    as it always has (a later telegram's text is not guessed at).
    """
    if len(drafts) < 2 or drafts[-1].marker or drafts[-2].mark is not None:
        return None
    lines = drafts[-1].lines
    index = len(lines) - 1
    while index >= 0 and not lines[index].strip():
        index -= 1
    if index < 0 or "GP" not in lines[index] or not _SCHEDULE_LINE_RE.match(lines[index]):
        return None
    if any(line.strip() for line in lines[:index]):
        return None
    drafts.pop()
    return "".join(lines[index].split())


def _glued_signature(last: Draft, index: int) -> str | None:
    """The signer's name at the end of the last line of text.

    An upper-case name after a sentence stays in the text (it may be the sentence's
    last word); after a redacted "Classified Website: XXXXXXXXXXXX" footer it is no
    text, so it leaves the line.
    """
    tail = last.lines[index]
    if "Website" in tail or "website" in tail:
        footer = _WEBSITE_NAME_RE.search(tail)
        if footer and _plausible(footer.group("name")):
            last.lines[index] = tail[: footer.start("name")].rstrip()
            return footer.group("name")
    glued = _GLUED_NAME_RE.search(tail)
    if glued and any(c.islower() for c in tail) and _plausible(glued.group("name")):
        return glued.group("name")
    surname = _GLUED_SURNAME_RE.search(tail)
    if surname and _ends_a_sentence(tail[: surname.start()], surname.group("name")):
        return surname.group("name")
    return None


def _ends_a_sentence(before: str, name: str) -> bool:
    """A capitalised word after a full stop is a surname only after a real sentence
    ("... east of Port Said. Scobey"), never after a bare number ("\u00b63. Koenig")
    and never a closing word ("Thanks")."""
    words = before.split()
    return (
        len(words) >= 4
        and any(c.islower() for c in before)
        and name.upper() not in _CLOSING_WORDS
        and _plausible(name)
    )


def _under_the_name(line: str) -> bool:
    """A line that may stand under the signer's name without being text: a stray ">" or
    '"' a scraper left."""
    return not line.strip().strip('>"')


# "NNN" as well as "NNNN": archive records of 1970s telegrams end with three N's.
# "Nnnn": some scraped cables write the end-of-message mark in mixed case.  An archive
# closes its record with "<< END OF DOCUMENT >>", with or without the "NNN" above it.
_TRANSMISSION_END_RE = re.compile(
    r"^\s*(?:BT|NNNN?|Nnnn?|#\s?\d{1,5}|<<\s*END\s+OF\s+DOCUMENT\s*>>)\s*$"
)


def ends_the_telegram(lines: list[str]) -> bool:
    """The last line of text closes the telegram: an end-of-transmission mark ("NNNN",
    "<< END OF DOCUMENT >>") or the signer's name standing alone below the text.

    Why: a scrape's reader asks it of the text above a later block of the page, which
    is then the site's (links, a footer), not more of the cable.
    """
    content = [i for i, line in enumerate(lines) if line.strip()]
    if len(content) < 2:
        return False
    last = lines[content[-1]]
    if _TRANSMISSION_END_RE.match(last):
        return True
    name = _signature_line(last)
    return name is not None and _stands_alone(lines, content[-1], name)


def _drop_transmission_end(draft: Draft) -> None:
    """ "BT", "#1234" and "NNN(N)" after the signature end the transmission, not the text."""
    lines = draft.lines
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _TRANSMISSION_END_RE.match(lines[end - 1])):
        end -= 1
    if any(line.strip() for line in lines[end:]) and any(line.strip() for line in lines[:end]):
        del draft.lines[end:], draft.nos[end:]


_NAME_THEN_END_RE = re.compile(r"^(?P<before>.*?)(?:[ \t]+(?:BT|NNNN?|#\s?\d{1,5}))+[ \t]*$")
_END_WORDS = frozenset({"BT", "NNN", "NNNN"})


def _signature_line(line: str) -> str | None:
    """The signer's name a line holds: alone, or before the end-of-message mark."""
    if "UNQUOTE" in line:
        return _name_after_unquote(line)
    return _signature_name(line) or _name_before_end_mark(line)


# A repeated telegram's close: "SMITH UNQUOTE INGERSOLL", "UNQUOTE INGERSOLL".
_AFTER_UNQUOTE_RE = re.compile(r"^\s*(?:[A-Z][A-Z'-]+[ \t]+)?UNQUOTE[ \t]+(?P<name>\S.*)$")


def _name_after_unquote(line: str) -> str | None:
    """The repeating post's signer after "UNQUOTE" (the quoted cable's signer before it).

    Why: read whole, "SMITH UNQUOTE INGERSOLL" was taken as the signer's name; the
    telegram's own signer is the name that closes it, after the quotation.
    """
    after = _AFTER_UNQUOTE_RE.match(line)
    if after is None:
        return None
    rest = after.group("name")
    return _signature_name(rest) or _name_before_end_mark(rest)


def _name_before_end_mark(line: str) -> str | None:
    """ "KISSINGER NNN", "DOE BT #0077 NNNN": the signer's name with the transmission's
    end marks on its line.

    Why: telegrams of the 1970s often end this way, and reflowed archive text joins
    the lines; read whole, the line is no name and stays a last paragraph of its own.
    """
    last = line.rstrip().rsplit(None, 1)[-1] if line.strip() else ""
    if last not in _END_WORDS and not (last[:1] == "#" and last[1:].isdigit()):
        return None
    m = _NAME_THEN_END_RE.match(line)
    return _signature_name(m.group("before")) if m else None


def _stands_alone(lines: list[str], index: int, name: str) -> bool:
    """A name line after a blank line or a finished sentence; not a wrapped last word."""
    previous = lines[index - 1].rstrip() if index > 0 else ""
    if previous.endswith("UNQUOTE") or lines[index].lstrip().startswith("UNQUOTE"):
        return True  # the quotation closed: no sentence goes on into the name
    if (
        previous
        and not previous.endswith((".", "!", "?", '"', ")", "\u201d", ":"))
        and not _SCHEDULE_LINE_RE.match(previous)
        and not _after_website_footer(lines, index)
    ):
        return False
    return name.isupper() or not lines[index].rstrip().endswith(".")


def _after_website_footer(lines: list[str], index: int) -> bool:
    """The lines just above the name are an embassy's "Visit ... Classified Website"
    footer: the footer line itself, then perhaps its address and a rule of "*".

    Why: the footer ends in an address or "XXXXXXXXXXXX", not a full stop, so the name
    under it would otherwise be read as a wrapped last word of the text.
    """
    for line in reversed(lines[max(0, index - _FOOTER_REACH) : index]):
        if "lassified Website" in line or "lassified website" in line:
            return True
        bare = line.strip()
        if bare and not bare.startswith("http") and bare.strip("* "):
            return False
    return False


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
    if draft.heading:
        return True
    if draft.numbered or draft.mark is not None:
        return False
    content = [line for line in draft.lines if line.strip()]
    return 0 < len(content) <= 4 and all(_HEADING_LINE_RE.match(line) for line in content)

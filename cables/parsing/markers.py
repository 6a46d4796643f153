"""Paragraph markers: where a portion starts, its number and its portion mark.

Shapes from real cables: ``¶1. (C)``, ``1.(S/NF)``, ``¶1.  (C)``, ``5.A. (C)``,
``A 1. (S/NF)``, lettered ``A. (U)``, unnumbered ``(SBU)`` at line start, a
mark missing its "(" (``¶1. C)``), ``(C - ENTIRE TEXT)`` and
``1. SECRET - ENTIRE TEXT.``; ``PARA 1. (C)`` and the mark before the number,
``(C) 1. text``; plus, in reflowed text, ``... end. 6. (C)`` in
mid-line when 6 is the next paragraph number.  ``1.4 (b)`` (a reason) and
``2.5 million`` are not markers: the number's period may not precede a digit.
Less common, from other archives: ``2 . (C)``, ``2) (C)``, ``2.) (C)``,
``II. (S)``, sub-paragraphs ``(1) (S)``, ``1A. (S)`` and ``1.A (S)`` (only with a mark),
``1. C - ENTIRE TEXT.``, and marked bullets ``-- (S)`` (flagged ``bullet``: they stay
in their paragraph).  A control may follow the mark in a parenthesis of its own,
``2. (S) (NF)`` or ``(C) (REL UK)``: it is part of the mark.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cables.markings import Marking
from cables.parsing.fields import PortionMark, add_control_parenthesis, read_portion_mark

# Paragraph 1 (or any marked numbered paragraph): where a cable's header is surely over.
# "1 . (C)": some transcriptions set the period apart from the number.
PARAGRAPH_ONE_RE = re.compile(r"^\s*(?:\u00b6\s*)?(?:1[ \t]?\.(?!\d)|\d{1,3}[ \t]?\.\s*\([A-Za-z])")
_NUMBERED_RE = re.compile(
    r"^(?P<lead>[ \t]*(?:\u00b6[ \t]*)?)"
    r"(?P<num>(?:[A-Z][ \t])?\d{1,3}(?:\.[A-Za-z0-9]{1,2})*)[ \t]?\.(?!\d)[ \t]*"
    r"(?:\((?P<mark>[^()\n]{1,40})\)[.:]?|(?P<half>[A-Za-z][A-Za-z/]{0,8})\)[.:]?)?"
)
# "1A. (S)", "1.A (S)": a sub-paragraph's letter glued to its number, or its last period
# left out; read only with a mark, and only where ``_NUMBERED_RE`` read no mark (rare
# shapes: the common ones pay nothing for them).
_SUB_NUMBERED_RE = re.compile(
    r"^[ \t]*(?:\u00b6[ \t]*)?(?P<num>\d{1,3}(?:[A-Za-z]|(?:\.[A-Za-z0-9]{1,2})*\.[A-Za-z]))"
    r"[ \t]?\.?(?!\d)[ \t]*\((?P<mark>[^()\n]{1,40})\)[.:]?"
)
_LETTERED_RE = re.compile(
    r"^(?P<lead>[ \t]*(?:\u00b6[ \t]*)?)(?P<num>[A-Za-z])[.)][ \t]*"
    r"\((?P<mark>[^()\n]{1,40})\)[.:]?"
)
_UNNUMBERED_RE = re.compile(r"^(?P<lead>[ \t]*)\((?P<mark>[^()\n]{1,40})\)[.:]?(?=[\s,;-]|$|[A-Z])")
# "2) (S) text", "2.) (S) text", "II. (S) text": other ways to write a paragraph number,
# read only with a mark after them (an "N)" list inside a paragraph stays its text).
_OTHER_NUMBERED_RE = re.compile(
    r"^(?P<lead>[ \t]*)(?P<num>\d{1,3}(?=\.?\))|[IVX]{2,5}(?=\.))\.?\)?[ \t]*"
    r"\((?P<mark>[^()\n]{1,40})\)[.:]?"
)
_ROMAN_RE = re.compile(r"^(?:X{0,3})(?:IX|IV|V?I{0,3})$")
# "(1) (S) text", "(a) (C) text": a sub-paragraph's label in parentheses, then its mark.
_SUB_LABELLED_RE = re.compile(
    r"^(?P<lead>[ \t]*)\((?P<num>\d{1,2}|[A-Za-z])\)[ \t]*\((?P<mark>[^()\n]{1,40})\)[.:]?"
    r"(?=[\s,;-]|$|[A-Z])"
)
# "-- (S) text", "- (U) text": a bullet with a mark of its own.
_BULLET_RE = re.compile(
    r"^(?P<lead>[ \t]*--?[ \t]*)\((?P<mark>[^()\n]{1,40})\)[.:]?(?=[\s,;-]|$|[A-Z])"
)
# "CONFIDENTIAL - ENTIRE TEXT", also without the dash, or abbreviated with it
# ("C - ENTIRE TEXT", as 1970s telegrams write it).
_ENTIRE_TEXT_STATEMENT_RE = re.compile(
    r"^\(?\s*(?:(?P<level>TOP\s+SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|LIMITED\s+OFFICIAL\s+USE)"
    r"\s*[-\u2013\u2014]*|(?P<short>TS|S|C|U|LOU)\s*[-\u2013\u2014]+)\s*ENTIRE\s+TEXT\b",
    re.I,
)
# The mark as long as at a line start ({1,40}): "(S//REL TO USA, AUS, CAN, GBR, NZL)" is 35.
_MIDLINE_RE = re.compile(
    r"(?<=\S)[ \t]+(?P<marker>\u00b6?(?P<num>\d{1,3})\.[ \t]?\((?P<mark>[^()\n]{1,40})\)[.:]?)"
    r"(?=[ \t])"
)
# "PARA 1. (C)": the word before the number (military-style messages).
_PARA_WORD_RE = re.compile(r"[ \t]*(?i:PARA(?:GRAPH)?)[ \t]+(?=\d)")
# "(C) 1. text": the number written after the mark.
_NUMBER_AFTER_MARK_RE = re.compile(r"(?P<num>\d{1,3})\.(?!\d)(?:[ \t]+|$)")
_LIST_LETTER_RE = re.compile(r"^\s*(?:--?[ \t]*)?\(([A-Za-z])\)")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LOOKS_LIKE_MARK_RE = re.compile(r"^[A-Z]{1,4}(?:\s*/{1,2}\s*[A-Z]{1,8})+$")


class Marker(NamedTuple):
    """A paragraph start: number, portion mark (if readable) and the text after it.

    A NamedTuple rather than a frozen dataclass: one is built for every
    numbered line of every cable, and tuples are several times cheaper to make.
    """

    number: str  # "1", "5.A", "A 1", "A", "" (unnumbered)
    marker: str  # the consumed marker as written, e.g. "¶1. (S/NF)"
    mark_raw: str | None  # "(S/NF)" as written, when a readable mark is present
    mark: PortionMark | None
    rest: str  # text after the marker (leading spaces removed)
    bad_mark: str | None = None  # a parenthetical that looks like a mark but is unreadable
    entire_text: PortionMark | None = None  # "1. SECRET - ENTIRE TEXT." statement
    base: int | None = None  # the leading paragraph number: 5 for "5.A", None if lettered
    bullet: bool = False  # "-- (S) text": a marked bullet, which stays in its paragraph


def match_marker(
    line: str, *, list_letters: frozenset[str] | set[str] = frozenset()
) -> Marker | None:
    """The paragraph marker at the start of ``line``, or None.

    ``list_letters`` are the "(A)", "(B)" list items already seen in the current
    paragraph: "(C)" after "(B)" is the next list item, not a CONFIDENTIAL mark.
    A control in a second parenthesis ("2. (S) (NF)") is left in ``rest``: the body
    reader takes it with ``with_control_parenthesis`` (the header needs no mark, and
    the commonest lines pay no extra call).
    """
    head = line.lstrip(" \t")
    if not head:
        return None
    first = head[0]
    if first == "\u00b6" or first.isdigit():
        found = _numbered(line)
        if found is None:
            return _lettered(line) or _other_numbered(line) or _sub_numbered(line)
        if found.mark is None and found.rest[:1] == ")":
            return _other_numbered(line) or found  # "2.) (S)"
        if found.mark is None and found.rest[1:3] == " (" and found.rest[:1].isalpha():
            return _sub_numbered(line) or found  # "1.A (S)"
        return found
    if first.isalpha() and len(head) > 2 and head[1] in " .)":
        found = _numbered(line) if head[1] == " " else None
        return found if found is not None else _lettered(line)
    if first in "IVX" and head[1:2] in ("I", "V", "X"):
        return _other_numbered(line)
    if first in "Pp" and head[1:4].upper() == "ARA":
        return _para_numbered(line)
    if first == "(":
        return _unnumbered(line, list_letters)
    if first == "-":
        return _bullet(line, list_letters)
    return None


# "(NF) text" after a portion mark: its control in a parenthesis of its own.
_CONTROL_PARENTHESIS_RE = re.compile(r"\((?P<body>[^()\n]{2,40})\)[.:]?(?:[ \t]+|$)")


def with_control_parenthesis(marker: Marker) -> Marker:
    """``marker`` taking the control of a second parenthesis ("2. (S) (NF) text") into
    its mark and out of its text; unchanged when the parenthesis names no control.

    Why: read as text, "(NF)" left a NOFORN paragraph marked plain SECRET.
    """
    m = _CONTROL_PARENTHESIS_RE.match(marker.rest)
    if m is None or marker.mark is None:
        return marker
    mark = add_control_parenthesis(marker.mark, m.group("body"))
    if mark is None:
        return marker
    written = m.group(0).rstrip()
    return marker._replace(
        marker=f"{marker.marker} {written}",
        mark_raw=f"{marker.mark_raw} ({m.group('body')})",
        mark=mark,
        rest=marker.rest[m.end() :],
    )


def _numbered(line: str) -> Marker | None:
    m = _NUMBERED_RE.match(line)
    if m is None:
        return None
    number = " ".join(m.group("num").split())
    body = m.group("mark") or m.group("half")
    mark = read_portion_mark(body) if body else None
    if number[:1].isalpha() and mark is None:
        return None  # "A 1." without a portion mark is prose ("A 1.5 ...")
    base = int(number.rsplit(" ", 1)[-1].split(".", 1)[0])  # "A 1" -> 1, "5.A" -> 5
    if mark is not None:
        raw = f"({body})" if m.group("mark") else f"{body})"
        return Marker(number, m.group(0).strip(), raw, mark, line[m.end() :].lstrip(), base=base)
    end = m.start("mark") - 1 if m.group("mark") else m.start("half") if body else m.end()
    rest = line[end:].lstrip()
    bad = body if m.group("mark") and _LOOKS_LIKE_MARK_RE.match(body.strip().upper()) else None
    entire = _ENTIRE_TEXT_STATEMENT_RE.match(rest)
    entire_mark = _entire_text_mark(entire) if entire else None
    return Marker(number, line[:end].strip(), None, None, rest, bad, entire_mark, base)


def _sub_numbered(line: str) -> Marker | None:
    """ "1A. (S)", "1.A (S)": a sub-paragraph number written another way, with its mark."""
    m = _SUB_NUMBERED_RE.match(line)
    if m is None:
        return None
    mark = read_portion_mark(m.group("mark"))
    if mark is None:
        return None
    number = m.group("num")
    base = int(number.split(".", 1)[0].rstrip(_LETTERS))  # "1A" -> 1, "1.A" -> 1
    raw = f"({m.group('mark')})"
    return Marker(number, m.group(0).strip(), raw, mark, line[m.end() :].lstrip(), base=base)


def _other_numbered(line: str) -> Marker | None:
    """ "2) (S)", "2.) (S)", "II. (S)": a numbered paragraph, when a mark follows."""
    m = _OTHER_NUMBERED_RE.match(line)
    if m is None:
        return None
    number = m.group("num")
    if not number.isdigit() and _ROMAN_RE.match(number) is None:
        return None
    mark = read_portion_mark(m.group("mark"))
    if mark is None:
        return None
    base = int(number) if number.isdigit() else None
    raw = f"({m.group('mark')})"
    return Marker(number, m.group(0).strip(), raw, mark, line[m.end() :].lstrip(), base=base)


def _para_numbered(line: str) -> Marker | None:
    """ "PARA 1. (C) text": a numbered marker after the word PARA (or PARAGRAPH).

    Only with a portion mark (or an entire-text statement): a wrapped line of
    prose may start "PARA 2. OF REFTEL ...", but not with a mark after the number.
    """
    m = _PARA_WORD_RE.match(line)
    if m is None:
        return None
    found = _numbered(line[m.end() :])
    if found is None or (found.mark is None and found.entire_text is None):
        return None
    return found._replace(marker=f"{line[: m.end()].strip()} {found.marker}")


def _lettered(line: str) -> Marker | None:
    m = _LETTERED_RE.match(line)
    if m is None:
        return None
    mark = read_portion_mark(m.group("mark"))
    if mark is None:
        return None
    return Marker(
        m.group("num"), m.group(0).strip(), f"({m.group('mark')})", mark, line[m.end() :].lstrip()
    )


def _unnumbered(line: str, list_letters: frozenset[str] | set[str]) -> Marker | None:
    m = _UNNUMBERED_RE.match(line)
    if m is None:
        return None
    body = m.group("mark")
    mark = read_portion_mark(body)
    if mark is None:
        return _sub_labelled(line)
    letter = body.strip().upper()
    if len(letter) == 1 and chr(ord(letter) - 1) in list_letters:
        return None  # "(C)" after "(B)": the next list item, not a CONFIDENTIAL mark
    rest = line[m.end() :].lstrip()
    if rest[:1].isdigit():
        return _number_after_mark(m.group(0).strip(), f"({body})", mark, rest)
    return Marker("", m.group(0).strip(), f"({body})", mark, rest)


def _is_next_list_letter(body: str, list_letters: frozenset[str] | set[str]) -> bool:
    """ "(C)" after a "(B)" list item is the next item, not a CONFIDENTIAL mark."""
    letter = body.strip().upper()
    return len(letter) == 1 and chr(ord(letter) - 1) in list_letters


def _sub_labelled(line: str) -> Marker | None:
    """ "(1) (S) text": a sub-paragraph of its own, with its label as its number.

    Portion marks go on sub-paragraphs too (rules 1.3); read as text, an "(S)"
    sub-paragraph in a "(C)" paragraph would leave the cable CONFIDENTIAL.
    """
    m = _SUB_LABELLED_RE.match(line)
    if m is None:
        return None
    mark = read_portion_mark(m.group("mark"))
    if mark is None:
        return None
    number = f"({m.group('num')})"
    return Marker(
        number, m.group(0).strip(), f"({m.group('mark')})", mark, line[m.end() :].lstrip()
    )


def _bullet(line: str, list_letters: frozenset[str] | set[str]) -> Marker | None:
    """ "-- (S) text": a marked bullet (``bullet``: the body keeps it in its paragraph).

    A dash before a parenthesis that is no mark ("-- (ABC) the party") is prose,
    and "-- (C)" after "-- (B)" is the next item of a lettered list.
    """
    m = _BULLET_RE.match(line)
    if m is None:
        return None
    body = m.group("mark")
    mark = read_portion_mark(body)
    if mark is None or _is_next_list_letter(body, list_letters):
        return None
    return Marker("", m.group(0).strip(), f"({body})", mark, line[m.end() :], bullet=True)


def _number_after_mark(marker: str, raw: str, mark: PortionMark, rest: str) -> Marker:
    """ "(C) 1. text": the number after the mark is the paragraph's number.

    Without this the number is lost and stays at the start of the text.  "(C) 2.5
    million" is not numbered: the number's period may not precede a digit.
    """
    m = _NUMBER_AFTER_MARK_RE.match(rest)
    if m is None:
        return Marker("", marker, raw, mark, rest)
    number = m.group("num")
    written = f"{marker} {rest[: m.end()].strip()}"
    return Marker(number, written, raw, mark, rest[m.end() :], base=int(number))


def list_letter(line: str) -> str | None:
    """The letter of a "(B) ..." list item at the start of a line."""
    m = _LIST_LETTER_RE.match(line)
    return m.group(1).upper() if m else None


_MIDLINE_GAP = 1  # reflowed cables sometimes skip a number ("23. ... 25. (U)")


def split_midline(line: str, expected: int) -> tuple[str, Marker] | None:
    """Find the marker of paragraph ``expected`` inside a reflowed line.

    Returns (text before it, marker) or None.  Only the next number (or the
    one after it) counts, so "see para 2. (C)" in prose is not a paragraph break.
    """
    if ".(" not in line and ". (" not in line:
        return None
    for m in _MIDLINE_RE.finditer(line):
        if not expected <= int(m.group("num")) <= expected + _MIDLINE_GAP:
            continue
        mark = read_portion_mark(m.group("mark"))
        if mark is None:
            continue
        found = Marker(
            m.group("num"),
            m.group("marker"),
            f"({m.group('mark')})",
            mark,
            line[m.end() :].lstrip(),
            base=int(m.group("num")),
        )
        if found.rest[:1] == "(":
            found = with_control_parenthesis(found)
        return line[: m.start()], found
    return None


# "1 (C) text", "1, (C) text": the number's period lost (left out, or read as a comma by
# OCR of a printed page); also after a pilcrow or the word PARA ("¶1 (C)", "Para 3 (S)").
_NO_PERIOD_RE = re.compile(
    r"^[ \t]*(?P<lead>\u00b6[ \t]*|(?i:PARA(?:GRAPH)?)[ \t]+)?(?P<num>\d{1,3}),?[ \t]+"
    r"\((?P<mark>[^()\n]{1,40})\)[.:]?[ \t]*"
)

# What follows a cited sub-paragraph ("PARA 3 (C) OF REFTEL", "PARA 2 (S) ABOVE").
_CITED_AFTER_RE = re.compile(r"(?i:OF|REF[A-Z]*|ABOVE|BELOW|IN|AND|OR)\b|[,;a-z]")


def number_without_period(line: str, expected: int) -> Marker | None:
    """ "1 (C) text" or "1, (C) text" when 1 is the next paragraph number and a portion
    mark follows: a paragraph marker whose period was lost (also "¶1 (C)", "Para 1 (C)").

    Why: read as text, the paragraph and its mark stay in the paragraph above (a SECRET
    one inside a CONFIDENTIAL one).  Only the next number counts, so that "2 (U.S.)
    officers" or a count in prose is never a marker.
    """
    m = _NO_PERIOD_RE.match(line)
    if m is None or int(m.group("num")) != expected:
        return None
    if m.group("lead") and m.group("lead")[:1] != "\u00b6" and _CITED_AFTER_RE.match(line, m.end()):
        return None  # "PARA 3 (C) OF REFTEL": a sub-paragraph cited, not a marker
    mark = read_portion_mark(m.group("mark"))
    if mark is None or mark.entire_text:
        return None
    raw = f"({m.group('mark')})"
    number = m.group("num")
    found = Marker(number, m.group(0).strip(), raw, mark, line[m.end() :], base=int(number))
    return with_control_parenthesis(found) if found.rest[:1] == "(" else found


# A portion mark inside a line, after the end of a sentence or a colon and before a
# capitalised word: "... Freedom Fighters: (S//NF) The October ...".
# From the sentence's last character (a set of first characters is scanned for in C,
# where a lookbehind would be tried at every position of the line).
_INLINE_RE = re.compile(
    r"[.:;!?\"\u201d][ \t]+\((?P<mark>[A-Z][A-Z/ ,-]{0,39})\)[ \t]+(?=[\"\u201c(]?[A-Z])"
)


def split_inline(
    line: str, above: Marking, list_letters: frozenset[str] | set[str] = frozenset()
) -> tuple[str, Marker] | None:
    """The first portion mark inside a line of a paragraph marked ``above`` that
    outranks it: (the text before it, an unnumbered marker), or None.

    Why: a paragraph that summarises a report gives its title and then the report's
    own mark ("(U) Title: (S//NF) The October ..."), and reflowed cables join portions
    that each carried their mark; read as one paragraph, text marked SECRET//NOFORN is
    handled as the paragraph's "(U)".  A mark at a line start already starts a portion;
    this reads it where the text left it.  Only a mark above the paragraph's level (or
    adding NOFORN, ORCON, EXDIS or NODIS) cuts: one at or below it changes no handling,
    and a word misread as a lower mark must never lower any text.  A single letter after
    the one before it ("(B) ... (C) ...") is a list item, and a word in parentheses
    ("(Note)", "(Ref C)") no mark.
    """
    for m in _INLINE_RE.finditer(line):
        cut = m.start() + 1  # the text before keeps its full stop or colon
        body = m.group("mark").strip()
        if len(body) == 1:
            before = chr(ord(body) - 1)
            if before in list_letters or f"({before})" in line[: m.start()].upper():
                continue
        mark = read_portion_mark(body)
        if mark is None or mark.entire_text:
            continue
        rest = line[m.end() :]
        second = rest[:1] == "("  # "(S) (NF)": the control may be what outranks
        if not second and not _outranks(mark.marking, above):
            continue
        raw = line[m.start("mark") - 1 : m.end("mark") + 1]
        found = Marker("", raw, raw, mark, rest)
        if second:
            found = with_control_parenthesis(found)
            if not _outranks((found.mark or mark).marking, above):
                continue
        return line[:cut], found
    return None


_RESTRICTING = frozenset({"NOFORN", "ORCON", "EXDIS", "NODIS"})


def _outranks(mark: Marking, paragraph: Marking) -> bool:
    if mark.rank != paragraph.rank:
        return mark.rank > paragraph.rank
    return any(c in _RESTRICTING and c not in paragraph.controls for c in mark.controls)


def entire_text_statement(text: str) -> PortionMark | None:
    """A "CONFIDENTIAL - ENTIRE TEXT" statement at the start of a line or paragraph."""
    m = _ENTIRE_TEXT_STATEMENT_RE.match(text.strip())
    if m is None:
        return None
    return _entire_text_mark(m)


def _entire_text_mark(m: re.Match[str]) -> PortionMark | None:
    return read_portion_mark(f"{m.group('level') or m.group('short')} - ENTIRE TEXT")

"""Classification reasons (sections 3.2 to 3.4): "Classified By" reason strings read into
EO13526 §1.4 categories, routing flags and numbering warnings.

The reading depends on the strings alone and the warnings on origin only through three
eras, so both are memoised per distinct list of reasons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from .dates import EO12958_START, EO13292_MARKINGS
from .values import DeclassInputError, ReasonItem, ReasonReading

# Routing flags from reason categories (section 3.4).
_CATEGORY_FLAGS = {
    "a": "F_MILITARY_EQUITY",
    "b": "F_FGI",
    "c": "F_INTEL_EQUITY",
    "f": "F_NUCLEAR_SCREEN",
    "h": "F_NUCLEAR_SCREEN",
}
# EO12356 §1.3(a)(n) -> EO13526 §1.4 letter; (10) has no equivalent (section 3.4).
_EO12356_MAP = {1: "a", 2: "g", 3: "b", 4: "c", 5: "d", 6: "e", 7: "f", 8: "c", 9: "d"}
# Letters that exist under each cited section: EO12958 (1995) §1.5 had no (h).
_VALID_LETTERS = {"1.4": "abcdefgh", "1.5": "abcdefg"}

_A = re.ASCII
_AI = re.ASCII | re.IGNORECASE

# 3.2 reasons.  The section test is the spec's \b1\.([45])\b, except that a letter
# glued to it ("1.4b") is allowed.
_REASON_KEYWORD = re.compile(r"\bREASONS?\b\s*:?", _AI)
_REASON_END = re.compile(r"\.\s|\bREF(?:S|TELS?)?\b", _AI)
_REASON_SECTION = re.compile(r"(?<![\w.])1\.([45])(?!\d)", _A)
_REASON_LETTER = re.compile(r"(?<![A-Za-z])([A-Ha-h])(?![A-Za-z])", _A)
_REASON_EO12356 = re.compile(r"(?<![\w.])1\.3\s*\(?\s*A\s*\)?", _AI)
_REASON_NUMBER = re.compile(r"(?<![\d.])(\d{1,2})(?![\d.])", _A)


def parse_reasons(reasons: Iterable[str]) -> ReasonReading:
    """Read "Classified By" reason strings into EO13526 §1.4 categories and flags.

    Accepts the bare reason text ("1.4(b) and (d)") or a whole authority line; in the
    latter case only the text after REASON(S) is read, so that the initials of a name
    are not taken for categories.
    """
    if isinstance(reasons, (str, bytes)):
        raise DeclassInputError("reasons", "expected a list of strings, got", reasons)
    try:
        key = tuple(reasons)
    except TypeError:
        raise DeclassInputError("reasons", "expected a list of strings, got", reasons) from None
    for raw in key:
        if not isinstance(raw, str):
            raise DeclassInputError("reasons", "reason must be a string, got", raw)
    return reasons_info(key)[0]


# Reason warnings depend on origin only through three eras: before EO12958, under
# EO12958 (original numbering), and from the EO13292 markings on.
_ERA_STARTS = (date.min, EO12958_START, EO13292_MARKINGS)


@lru_cache(maxsize=4096)
def reasons_info(
    reasons: tuple[str, ...],
) -> tuple[ReasonReading, tuple[frozenset[str], ...]]:
    """The reading plus its warnings for each era, so a call only picks one."""
    reading = _read_reasons(reasons)
    by_era = tuple(frozenset(_reason_warnings(reading, day)) for day in _ERA_STARTS)
    return reading, by_era


def era(origin: date) -> int:
    """Index into the per-era warnings of :func:`reasons_info`."""
    if origin >= EO13292_MARKINGS:
        return 2
    return 1 if origin >= EO12958_START else 0


def _read_reasons(reasons: tuple[str, ...]) -> ReasonReading:
    items = tuple(_parse_one_reason(raw) for raw in reasons)
    categories = frozenset(c for i in items for c in (*i.categories, *i.invalid))
    return ReasonReading(
        items=items,
        categories=categories,
        sections=frozenset(i.section for i in items if i.section),
        flags=frozenset(_CATEGORY_FLAGS[c] for c in categories if c in _CATEGORY_FLAGS),
        present=any(i.section or i.categories or i.invalid or i.unmapped for i in items),
        has_invalid=any(i.invalid for i in items),
        has_unmapped=any(i.unmapped for i in items),
    )


def _parse_one_reason(raw: str) -> ReasonItem:
    text = raw
    keyword = _REASON_KEYWORD.search(text)
    if keyword:
        text = text[keyword.end() :]
    end = _REASON_END.search(text)
    if end:
        text = text[: end.start()]

    m = _REASON_SECTION.search(text)
    if m:
        section = "1." + m.group(1)
        valid = _VALID_LETTERS[section]
        letters = _unique(x.lower() for x in _REASON_LETTER.findall(text, m.end()))
        return ReasonItem(
            raw=raw,
            section=section,
            categories=tuple(x for x in letters if x in valid),
            invalid=tuple(x for x in letters if x not in valid),
            unmapped=(),
        )

    m = _REASON_EO12356.search(text)
    if m:
        good: list[str] = []
        bad: list[str] = []
        unmapped: list[str] = []
        for number in map(int, _REASON_NUMBER.findall(text, m.end())):
            if number in _EO12356_MAP:
                good.append(_EO12356_MAP[number])
            elif number == 10:
                unmapped.append("(10)")
            else:
                bad.append(f"({number})")
        return ReasonItem(raw, "1.3", _unique(good), _unique(bad), _unique(unmapped))

    letters = _unique(x.lower() for x in _REASON_LETTER.findall(text))
    return ReasonItem(raw, None, letters, (), ())


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _reason_warnings(reading: ReasonReading, origin: date) -> set[str]:
    """Numbering and category warnings; they never change the date (section 3.4)."""
    out: set[str] = set()
    sections = reading.sections
    if ("1.5" in sections and origin >= EO13292_MARKINGS) or (
        "1.3" in sections and origin >= EO12958_START
    ):
        out.add("W_REASON_OLD_NUMBERING")
    if "1.4" in sections and origin < EO13292_MARKINGS:
        out.add("W_REASON_NEW_NUMBERING_EARLY")
    if reading.has_invalid:
        out.add("W_REASON_INVALID_CATEGORY")
    if reading.has_unmapped:
        # Not a code of 4.6.6 (which allows extra ones): EO12356 (10) has no category.
        out.add("W_REASON_NO_EQUIVALENT")
    return out

"""Declassification engine of the classification rules, section 4.6.

The engine is one pure function, :func:`declass_status`, so that the same markings
always give the same answer whether it runs in a request, a Celery task or a bulk
re-computation, and so that it can be checked against the vectors of section 4.7
without a database.  It deliberately imports nothing from Django.

Two helpers are public because the parser and the review screens need the same
readings: :func:`normalise_level` (section 4.6.1) and :func:`parse_reasons`
(sections 3.2 and 3.4).

Speed matters because whole corpora are re-evaluated when a rule changes.  Every
regular expression is compiled at import time.  The text analysis of a DECL line
(normalisation, recognisers, date scan) depends on the text alone, so it is memoised
per distinct string, since a corpus repeats the same instructions many times over.
Only what depends on ``origin`` and ``as_of`` is computed per call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = [
    "DeclassInputError",
    "DeclassResult",
    "ReasonItem",
    "ReasonReading",
    "declass_status",
    "normalise_level",
    "parse_reasons",
]

# -------------------------------------------------------------------------------------
# Public value types
# -------------------------------------------------------------------------------------


class DeclassInputError(ValueError):
    """An input the engine refuses to guess about.

    A ``ValueError`` so generic validation code still catches it; ``field`` lets an
    importer attach the problem to the right column without parsing the message.
    """

    field: str
    value: object

    def __init__(self, field: str, problem: str, value: object) -> None:
        super().__init__(f"{field}: {problem} {value!r}")
        self.field = field
        self.value = value
        self._problem = problem

    def __reduce__(self) -> tuple[Any, ...]:
        # Celery and multiprocessing pickle exceptions; the default reduction would
        # call __init__ with the formatted message alone and fail.
        return (type(self), (self.field, self._problem, self.value))


@dataclass(frozen=True, slots=True)
class DeclassResult:
    """What the engine concluded, with enough context to show a reviewer why.

    Frozen so that a result can be shared between threads and compared in tests.
    """

    declass_date: date | None
    date_kind: str
    rule: str
    review_required: bool
    warnings: frozenset[str]
    flags: frozenset[str]
    explanation: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; sets are sorted so that stored values diff cleanly."""
        when = self.declass_date
        return {
            "declass_date": None if when is None else when.isoformat(),
            "date_kind": self.date_kind,
            "rule": self.rule,
            "review_required": self.review_required,
            "warnings": sorted(self.warnings),
            "flags": sorted(self.flags),
            "explanation": list(self.explanation),
        }


@dataclass(frozen=True, slots=True)
class ReasonItem:
    """One reason string as read under section 3.2, kept for the reviewer to see.

    ``section`` is "1.4", "1.5", "1.3" (EO12356 §1.3(a)) or None; ``categories`` are
    EO13526 §1.4 letters in order of appearance; ``invalid`` holds categories that do
    not exist under the cited section (1.5(h)); ``unmapped`` holds EO12356 categories
    with no EO13526 equivalent ("(10)").
    """

    raw: str
    section: str | None
    categories: tuple[str, ...]
    invalid: tuple[str, ...]
    unmapped: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReasonReading:
    """The reasons of one cable mapped to EO13526 §1.4 categories (section 3.4).

    ``categories`` includes impossible letters such as 1.5(h): they still drive the
    routing flags, so that a reviewer screens for what the classifier probably meant
    (vector V57).  ``present`` is True when any reason was written at all, even a
    malformed one, because W_NO_REASON is about the missing element, not its quality.
    """

    items: tuple[ReasonItem, ...]
    categories: frozenset[str]
    sections: frozenset[str]
    flags: frozenset[str]
    present: bool
    has_invalid: bool
    has_unmapped: bool


# -------------------------------------------------------------------------------------
# Constants of the rules
# -------------------------------------------------------------------------------------

_LEVEL_NAMES = {
    "U": "UNCLASSIFIED",
    "C": "CONFIDENTIAL",
    "S": "SECRET",
    "TS": "TOP SECRET",
}
# Accepted spellings after upper-casing, dropping "//..." and collapsing spaces.
_LEVEL_FORMS: dict[str, str] = {
    "TS": "TS",
    "TOP SECRET": "TS",
    "S": "S",
    # A classification level, not a password.
    "SECRET": "S",  # nosec B105
    "C": "C",
    "CONFIDENTIAL": "C",
    "U": "U",
    "UNCLAS": "U",
    "UNCLASSIFIED": "U",
    "UNCLAS EFTO": "U",
    "SBU": "U",
    "SBU NOFORN": "U",
    "SENSITIVE BUT UNCLASSIFIED": "U",
    "LOU": "U",
    "LIMITED OFFICIAL USE": "U",
    "FOUO": "U",
}
# Letter-spaced first lines of a cable body (sections 1.1 and 1.4): "S E C R E T".
_LETTER_SPACED_LEVELS = {
    "TOPSECRET": "TS",
    # A classification level, not a password.
    "SECRET": "S",  # nosec B105
    "CONFIDENTIAL": "C",
}

_PRE_EO12356 = date(1982, 8, 1)
_EO12958_START = date(1995, 10, 14)
_EO12958_END = date(2003, 9, 21)  # last day X-codes are valid
_EO13292_MARKINGS = date(2003, 9, 22)  # "1.4" numbering from this day
_EO13526_DIRECTIVE = date(2010, 6, 25)  # 50X1-HUM replaces 25X1-human

_MAX_ORIGIN_YEAR = 9999 - 75  # auto(75) must remain a representable date
_CLASSIFIED_LINES = {
    code: f"Level {name} is classified." for code, name in _LEVEL_NAMES.items() if code != "U"
}
_UNCLASSIFIED_LINE = "Level UNCLASSIFIED is not classified."

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

_MONTH_NAMES = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}

# -------------------------------------------------------------------------------------
# Regular expressions.  All ASCII: a non-Latin digit in a DECL line is not a date.
# -------------------------------------------------------------------------------------

_A = re.ASCII
_AI = re.ASCII | re.IGNORECASE
_MON = "(" + "|".join(_MONTH_NAMES) + ")"

# 4.6.2 normalisation of the DECL text.
_EO_PREFIX = re.compile(r"^E\.?\s?O\.?\s*\d{5}\s*:?\s*", _A)
_DECL_PREFIX = re.compile(r"^DECL(?:ASSIFY(?:\s+ON)?)?\b\s*:?\s*", _A)

# 4.6.3 date shapes in scan order, with the order of their three groups and a cheap
# guard: a substring the shape cannot match without ("" = none, "MON" = a month name).
_DATE_SHAPES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)", _A), "ymd", ""),
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", _A), "ymd", "-"),
    (re.compile(r"(?<!\d)(\d{4})/(\d{1,2})/(\d{1,2})(?!\d)", _A), "ymd", "/"),
    (re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?!\d)", _A), "mdy", "/"),
    (
        re.compile(r"(?<!\d)(\d{1,2})[ -]?" + _MON + r"[A-Z]*\.?[ ,-]*(\d{4}|\d{2})(?!\d)", _A),
        "dMy",
        "MON",
    ),
    (
        re.compile(r"\b" + _MON + r"[A-Z]*\.?\s+(\d{1,2}),?\s+(\d{4})(?!\d)", _A),
        "Mdy",
        "MON",
    ),
)
_ANY_MONTH = re.compile(_MON, _A)
_LEFTOVER_DATE = re.compile(r"(?<!\d)\d{1,4}[/-]\d{1,4}(?:[/-]\d{1,4})?|(?<!\d)\d{8}(?!\d)", _A)
_HAS_DIGIT = re.compile(r"\d", _A)
# Most instructions are "E.O. nnnnn: DECL: <one numeric date>".  Recognising that
# whole line in one match skips normalisation, the other shapes and every code
# recogniser (none of which can match a bare date).  It only accepts lines that the
# general path reads the same way; anything else falls through to that path.
_FAST_LINE = re.compile(
    r"\s*(?:E\.?\s?O\.?\s*\d{5}\s*:?\s*)?(?:DECL(?:ASSIFY(?:\s+ON)?)?\b\s*:?\s*)?"
    r"(?P<date>(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})|(\d{4})(\d{2})(\d{2})"
    r"|(\d{4})-(\d{1,2})-(\d{1,2}))[\s.,;]*",
    _AI,
)

# 4.6.4 recognisers.  On `full`: AEA/NATO and the exemption codes; on `s`: the rest.
_AEA = re.compile(r"RD/FRD|\bFRD\b|\bTFNI\b|NATO PORTIONS|\bRD PORTIONS", _A)
_HUM_WMD = re.compile(r"\b(50X1\s*-\s*HUM|50X2\s*-\s*WMD|25X1\s*-?\s*HUMAN)\b", _A)
_X75 = re.compile(r"\b75X([1-9])?\b", _A)
# "Not followed by -HUM/-WMD/-HUMAN" mirrors _HUM_WMD exactly, so that every code
# lands in exactly one rule.
_X50 = re.compile(r"\b50X([1-9])\b(?!\s*-\s*(?:HUM|WMD)\b)", _A)
_X25 = re.compile(r"\b25X([1-9])\b(?!\s*-?\s*HUMAN\b)", _A)
_BAD_EXEMPTION = re.compile(r"\b(?:25|50|75)X(?:\d{2,}|0)\b", _A)
_OADR = re.compile(r"\bOADR\b|ORIGINATING AGENCY'?S DETERMINATION REQUIRED", _A)
_XCODE = re.compile(r"(?<![0-9])(?:1\.6\s*)?X([1-8])\b", _A)
_MR = re.compile(r"^(?:MR|MANUAL REVIEW)$|\bD[CN]I ONLY\b", _A)
_PRE1982 = re.compile(r"^(?:X?GDS|RDS|XDS|ADS)\b", _A)
_NA = re.compile(r"^N/?A$", _A)
_REASON_IN_DECL = re.compile(r"^1\.[45]\s*\(?\s*[A-H]\b", _A)
_CODE_LIKE = re.compile(r"^[A-Z0-9.()/-]{1,10}$", _A)
_UNCLAS_EFTO_SPACED = re.compile(r"UNCLAS E ?F ?T ?O", _A)

# 3.2 reasons.  The section test is the spec's \b1\.([45])\b, except that a letter
# glued to it ("1.4b") is allowed.
_REASON_KEYWORD = re.compile(r"\bREASONS?\b\s*:?", _AI)
_REASON_END = re.compile(r"\.\s|\bREF(?:S|TELS?)?\b", _AI)
_REASON_SECTION = re.compile(r"(?<![\w.])1\.([45])(?!\d)", _A)
_REASON_LETTER = re.compile(r"(?<![A-Za-z])([A-Ha-h])(?![A-Za-z])", _A)
_REASON_EO12356 = re.compile(r"(?<![\w.])1\.3\s*\(?\s*A\s*\)?", _AI)
_REASON_NUMBER = re.compile(r"(?<![\d.])(\d{1,2})(?![\d.])", _A)

# -------------------------------------------------------------------------------------
# Levels
# -------------------------------------------------------------------------------------


def normalise_level(level: str) -> str:
    """Reduce any accepted spelling of a level to "U", "C", "S" or "TS".

    Unknown words raise instead of defaulting: silently reading "RESTRICTED" (a NATO
    or foreign level) as unclassified would release it.
    """
    if not isinstance(level, str):
        raise DeclassInputError("level", "classification level must be text, got", level)
    code = _LEVEL_FORMS.get(level)
    if code is not None:
        return code
    return _normalise_level_slow(level)


@lru_cache(maxsize=256)
def _normalise_level_slow(level: str) -> str:
    key = " ".join(level.split("//", 1)[0].upper().split())
    code = _LEVEL_FORMS.get(key)
    if code is not None:
        return code
    tokens = key.split(" ")
    if len(tokens) > 1 and all(len(t) == 1 for t in tokens):
        code = _LETTER_SPACED_LEVELS.get("".join(tokens))
        if code is not None:
            return code
    if _UNCLAS_EFTO_SPACED.fullmatch(key):
        return "U"
    raise DeclassInputError("level", "unknown classification level", level)


# -------------------------------------------------------------------------------------
# Reasons
# -------------------------------------------------------------------------------------


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
    return _reasons_info(key)[0]


# Reason warnings depend on origin only through three eras: before EO12958, under
# EO12958 (original numbering), and from the EO13292 markings on.
_ERA_STARTS = (date.min, _EO12958_START, _EO13292_MARKINGS)


@lru_cache(maxsize=4096)
def _reasons_info(
    reasons: tuple[str, ...],
) -> tuple[ReasonReading, tuple[frozenset[str], ...]]:
    """The reading plus its warnings for each era, so a call only picks one."""
    reading = _read_reasons(reasons)
    by_era = tuple(frozenset(_reason_warnings(reading, day)) for day in _ERA_STARTS)
    return reading, by_era


def _era(origin: date) -> int:
    if origin >= _EO13292_MARKINGS:
        return 2
    return 1 if origin >= _EO12958_START else 0


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
    if ("1.5" in sections and origin >= _EO13292_MARKINGS) or (
        "1.3" in sections and origin >= _EO12958_START
    ):
        out.add("W_REASON_OLD_NUMBERING")
    if "1.4" in sections and origin < _EO13292_MARKINGS:
        out.add("W_REASON_NEW_NUMBERING_EARLY")
    if reading.has_invalid:
        out.add("W_REASON_INVALID_CATEGORY")
    if reading.has_unmapped:
        # Not a code of 4.6.6 (which allows extra ones): EO12356 (10) has no category.
        out.add("W_REASON_NO_EQUIVALENT")
    return out


# -------------------------------------------------------------------------------------
# DECL text analysis (memoised: depends on the text only, never on origin or as_of)
# -------------------------------------------------------------------------------------


class _Scan(NamedTuple):
    """Every fact about a DECL line that does not depend on the cable's dates.

    A NamedTuple rather than a frozen dataclass: it is as immutable (it lives in a
    shared cache) and several times cheaper to build on a cache miss.  Dates with a
    four-digit year are settled here; two-digit years wait for ``origin.year``
    (4.6.3), which is why they are kept as raw (yy, month, day).
    """

    s: str
    aea: bool = False
    hum_wmd: tuple[str, ...] = ()
    x75: bool = False
    x50: bool = False
    x25: bool = False
    bad_exemption: str | None = None
    pre1982: bool = False
    oadr: bool = False
    xcode: str | None = None
    mr: bool = False
    na: bool = False
    reason_in_decl: bool = False
    code_like: bool = False
    fixed_dates: tuple[date, ...] = ()  # distinct, ascending
    two_digit: tuple[tuple[int, int, int], ...] = ()
    invalid_texts: tuple[str, ...] = ()
    has_date_text: bool = False
    # Explanation lines that need no origin, prepared once per distinct text.
    intro: str = "No declassification instruction."
    date_notes: tuple[str, ...] = ()


_Candidate = tuple[int, bool, int, int]  # (year, year_has_two_digits, month, day)


def _normalise_decl(decl: str) -> str:
    s = " ".join(decl.upper().split())
    m = _EO_PREFIX.match(s)
    if m:
        s = s[m.end() :]
    m = _DECL_PREFIX.match(s)
    if m:
        s = s[m.end() :]
    return s.rstrip(" .,;")


def _candidate(a: str, b: str, c: str, order: str) -> _Candidate:
    # Two-digit years stay raw: their century depends on origin (4.6.3).
    if order == "ymd":
        return int(a), False, int(b), int(c)
    if order == "mdy":
        return int(c), len(c) == 2, int(a), int(b)
    if order == "dMy":
        return int(c), len(c) == 2, _MONTHS[b], int(a)
    return int(c), False, _MONTHS[a], int(b)  # "Mdy"


def _date_fields(
    s: str, candidates: list[_Candidate], texts: list[str], leftovers: list[str]
) -> dict[str, Any]:
    """The date part of a _Scan; explanation lines are built here, on a cache miss,
    so that repeated instructions do not pay for them again."""
    fixed, two, invalid = _settle(candidates, texts)
    invalid.extend(leftovers)
    fixed = tuple(sorted(set(fixed))) if len(fixed) > 1 else fixed
    return {
        "fixed_dates": fixed,
        "two_digit": two,
        "invalid_texts": tuple(invalid),
        "has_date_text": bool(fixed or two or invalid),
        "intro": f"Instruction read as '{s}'." if s else _Scan._field_defaults["intro"],
        "date_notes": _date_notes(fixed, invalid),
    }


def _date_notes(valid: Iterable[date], invalid: Iterable[str]) -> tuple[str, ...]:
    notes = [f"Found date {when.isoformat()} in the instruction." for when in valid]
    notes.extend(f"Found date text '{text}' that is not a valid date." for text in invalid)
    return tuple(notes)


def _settle(
    candidates: list[_Candidate], texts: list[str]
) -> tuple[tuple[date, ...], tuple[tuple[int, int, int], ...], list[str]]:
    fixed: list[date] = []
    two: list[tuple[int, int, int]] = []
    invalid: list[str] = []
    for (year, two_digit, month, day), text in zip(candidates, texts, strict=True):
        if two_digit:
            if 1 <= month <= 12 and 1 <= day <= 31:
                two.append((year, month, day))  # 29 Feb waits for the century
            else:
                invalid.append(text)
            continue
        try:
            fixed.append(date(year, month, day))
        except ValueError:
            invalid.append(text)
    return tuple(fixed), tuple(two), invalid


def _fast_scan(fast: re.Match[str]) -> _Scan:
    """Build the _Scan of a one-date line directly: the commonest cache miss, so it
    skips the general path's intermediate lists and keyword plumbing."""
    s, mo, d, y2, y, m2, d2, y3, m3, d3 = fast.groups()
    intro = f"Instruction read as '{s}'."
    if mo is not None:
        month, day = int(mo), int(d)
        if len(y2) == 2:
            if 1 <= month <= 12 and 1 <= day <= 31:
                return _Scan(s, two_digit=((int(y2), month, day),), has_date_text=True,
                             intro=intro)  # fmt: skip
            return _Scan(s, invalid_texts=(s,), has_date_text=True, intro=intro,
                         date_notes=_date_notes((), (s,)))  # fmt: skip
        year = int(y2)
    elif y is not None:
        year, month, day = int(y), int(m2), int(d2)
    else:
        year, month, day = int(y3), int(m3), int(d3)
    try:
        when = date(year, month, day)
    except ValueError:
        return _Scan(s, invalid_texts=(s,), has_date_text=True, intro=intro,
                     date_notes=_date_notes((), (s,)))  # fmt: skip
    note = f"Found date {when.isoformat()} in the instruction."
    return _Scan(s, fixed_dates=(when,), has_date_text=True, intro=intro,
                 date_notes=(note,))  # fmt: skip


@lru_cache(maxsize=16384)
def _scan(decl: str | None, exemptions: tuple[str, ...]) -> _Scan:
    if decl and not exemptions:
        fast = _FAST_LINE.fullmatch(decl)
        if fast:
            return _fast_scan(fast)

    s = _normalise_decl(decl) if decl else ""
    extra = [e for e in (" ".join(x.upper().split()) for x in exemptions) if e]
    full = " ".join([s, *extra]) if s else " ".join(extra)
    candidates: list[_Candidate] = []
    texts: list[str] = []
    leftovers: list[str] = []
    if _HAS_DIGIT.search(full):
        work = full
        has_month = _ANY_MONTH.search(full) is not None
        for rx, order, guard in _DATE_SHAPES:
            if guard and (not has_month if guard == "MON" else guard not in work):
                continue
            found = list(rx.finditer(work))
            if not found:
                continue
            pieces: list[str] = []
            pos = 0
            for m in found:
                candidates.append(_candidate(*m.groups(), order))
                texts.append(m.group(0))
                # Mask the match so that later shapes cannot reuse its characters
                # (no overlapping candidates, 4.6.3).
                pieces.append(work[pos : m.start()])
                pieces.append("\x00" * (m.end() - m.start()))
                pos = m.end()
            pieces.append(work[pos:])
            work = "".join(pieces)
        # A lone 8-digit run is always already a YYYYMMDD candidate (same regex), so
        # leftovers are only possible where a "/" or "-" remains.
        if "/" in work or "-" in work:
            leftovers = _LEFTOVER_DATE.findall(work)
    # Each recogniser runs only if a substring it cannot match without is present.
    if "X" in full:
        hum_wmd = tuple("".join(m.group(1).split()) for m in _HUM_WMD.finditer(full))
        x75 = _X75.search(full) is not None
        x50 = _X50.search(full) is not None
        x25 = _X25.search(full) is not None
        bad = _BAD_EXEMPTION.search(full)
        xcode = _XCODE.search(s) if "X" in s else None
    else:
        hum_wmd, x75, x50, x25, bad, xcode = (), False, False, False, None, None
    aea = ("RD" in full or "TFNI" in full or "NATO" in full) and bool(_AEA.search(full))
    return _Scan(
        s=s,
        aea=aea,
        hum_wmd=hum_wmd,
        x75=x75,
        x50=x50,
        x25=x25,
        bad_exemption=bad.group(0) if bad else None,
        pre1982="DS" in s[:4] and _PRE1982.search(s) is not None,
        oadr=("OADR" in s or "ORIGINATING" in s) and _OADR.search(s) is not None,
        xcode=xcode.group(0) if xcode else None,
        mr=(s in ("MR", "MANUAL REVIEW") or "I ONLY" in s) and bool(_MR.search(s)),
        na=len(s) <= 3 and _NA.match(s) is not None,
        reason_in_decl=s.startswith("1.") and bool(_REASON_IN_DECL.search(s)),
        code_like=len(s) <= 10
        and _CODE_LIKE.match(s) is not None
        and (len(s) <= 4 or _HAS_DIGIT.search(s) is not None),
        **_date_fields(s, candidates, texts, leftovers),
    )


# -------------------------------------------------------------------------------------
# Date helpers (4.6.2, 4.6.3)
# -------------------------------------------------------------------------------------


def _century(yy: int, origin_year: int) -> int:
    """Year nearest to origin among three centuries; a tie goes to the later one."""
    base = origin_year - origin_year % 100 + yy
    best = base
    best_gap = abs(base - origin_year)
    for year in (base - 100, base + 100):
        if 1 <= year <= 9999:
            gap = abs(year - origin_year)
            if gap < best_gap or (gap == best_gap and year > best):
                best, best_gap = year, gap
    return best


def _auto(origin: date, years: int) -> date:
    return date(origin.year + years, 12, 31)


def _anniv(origin: date, years: int) -> date:
    """Same day ``years`` on; 29 February becomes 28 February (as relativedelta)."""
    year, month, day = origin.year + years, origin.month, origin.day
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 or year % 400 == 0)):
        return date(year, 2, 28)
    return date(year, month, day)


def _as_date(value: object, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()  # the date as given: no time-zone shift (4.6.1)
    if isinstance(value, date):
        return value
    raise DeclassInputError(field, "expected a date, got", value)


def _resolve_dates(scan: _Scan, origin: date, expl: list[str]) -> tuple[Sequence[date], int]:
    """Settle two-digit years, which need origin and so cannot be cached.

    Returns the distinct valid dates in ascending order, so that the caller finds
    the latest (the longest protection, 4.6.3) at the end, and the number of
    date texts that are not dates.
    """
    if not scan.two_digit:
        expl.extend(scan.date_notes)
        return scan.fixed_dates, len(scan.invalid_texts)
    invalid_n = len(scan.invalid_texts)
    valid = list(scan.fixed_dates)
    for yy, month, day in scan.two_digit:
        year = _century(yy, origin.year)
        try:
            valid.append(date(year, month, day))
        except ValueError:
            invalid_n += 1
            expl.append(f"Date {month:02d}/{day:02d}/{yy:02d} does not exist in {year}.")
            continue
        expl.append(f"Two-digit year '{yy:02d}' read as {year}, nearest to origin.")
    if len(valid) > 1:
        valid = sorted(set(valid))
    expl.extend(_date_notes(valid, scan.invalid_texts))
    return valid, invalid_n


def _date_warnings(
    warnings: set[str],
    expl: list[str],
    valid: Sequence[date],
    latest: date | None,
    invalid_n: int,
) -> None:
    """Warnings shared by every rule that reads the marked date (4-6 and 9-11)."""
    if len(valid) > 1:
        warnings.add("W_MULTIPLE_DATES")
        if latest is not None:
            expl.append(f"Several dates: the latest, {latest.isoformat()}, is used.")
    # The next two go beyond the letter of 4.6.5 (4.6.6 allows it; no vector has such
    # inputs): an unreadable date beside a readable one may be the intended, later
    # date, and an exemption whose only date precedes origin is not "without date".
    if invalid_n:
        warnings.add("W_UNPARSEABLE_DATE")
    if latest is None and valid:
        warnings.add("W_DECL_NOT_AFTER_ORIGIN")


def _fallback(auto25: date) -> str:
    # Built only in the branches that use it; R-DATE, the common case, does not.
    return f"the 25-year date {auto25.isoformat()} applies"


def _result(
    when: date | None,
    kind: str,
    rule: str,
    warnings: set[str],
    flags: frozenset[str],
    expl: list[str],
    rule_line: str,
) -> DeclassResult:
    """Close a branch that always needs review (every rule except 2 and 10)."""
    expl.append(rule_line)
    expl.append("Review required: the markings alone do not show the cable declassified.")
    return DeclassResult(when, kind, rule, True, frozenset(warnings), flags, tuple(expl))


# -------------------------------------------------------------------------------------
# The engine
# -------------------------------------------------------------------------------------


def declass_status(
    *,
    origin: date,
    level: str,
    decl: str | None,
    reasons: list[str],
    exemptions: list[str],
    as_of: date,
    aea: bool = False,
) -> DeclassResult:
    """Compute when a cable's classification lapses and whether a human must decide.

    Follows the decision order of section 4.6.5, first match wins.  Whenever the
    markings alone do not establish that the cable is declassified, the result asks
    for review: the engine never releases on a guess.
    """
    if origin.__class__ is not date:
        origin = _as_date(origin, "origin")
    if as_of.__class__ is not date:
        as_of = _as_date(as_of, "as_of")
    if origin.year > _MAX_ORIGIN_YEAR:
        raise DeclassInputError("origin", "date of origin out of range:", origin)
    lvl = normalise_level(level)
    if decl is not None and not isinstance(decl, str):
        raise DeclassInputError("decl", "expected text or None, got", decl)
    if exemptions:
        if isinstance(exemptions, (str, bytes)):
            raise DeclassInputError("exemptions", "expected a list of strings, got", exemptions)
        ex_key = tuple(exemptions)
        for code in ex_key:
            if not isinstance(code, str):
                raise DeclassInputError("exemptions", "code must be text, got", code)
    else:
        ex_key = ()
    scan = _scan(decl, ex_key)
    key = tuple(reasons) if reasons.__class__ is list else None
    if key is not None:
        for raw in key:
            if raw.__class__ is not str:
                key = None
                break
    if key is None:
        # Not a plain list of str: validate (raises naming the bad value) and copy.
        key = tuple(item.raw for item in parse_reasons(reasons).items)
    reading, by_era = _reasons_info(key)

    warnings = set(by_era[_era(origin)])
    flags = reading.flags
    s = scan.s
    expl: list[str] = []

    # Rule 1: Atomic Energy Act or NATO material.
    if aea or scan.aea:
        expl.append(_CLASSIFIED_LINES.get(lvl, _UNCLASSIFIED_LINE))
        expl.append(
            "The cable is marked as carrying RD, FRD or TFNI."
            if aea
            else f"The instruction '{s}' mentions RD/FRD, TFNI or NATO portions."
        )
        return _result(
            None, "none", "R-AEA", warnings, flags, expl,
            "Rule R-AEA: Atomic Energy Act or NATO information is excluded from "
            "automatic declassification and goes to the owning agency, so no date is "
            "computed.",
        )  # fmt: skip

    # Rule 2: not classified.
    if lvl == "U":
        expl.append(_UNCLASSIFIED_LINE)
        if s and not scan.na:
            warnings.add("W_DECL_ON_UNCLASSIFIED")
            expl.append(f"The instruction '{s}' on an unclassified cable is ignored.")
        expl.append(
            "Rule R-NOT-CLASSIFIED: the markings show the cable is not classified, so "
            "no declassification date applies."
        )
        expl.append("No classification review needed (the FOIA screen still applies).")
        return DeclassResult(
            None, "not_applicable", "R-NOT-CLASSIFIED", False, frozenset(warnings),
            flags, tuple(expl),
        )  # fmt: skip

    expl.append(_CLASSIFIED_LINES[lvl])
    expl.append(scan.intro)
    if origin >= _EO12958_START and not reading.present:
        warnings.add("W_NO_REASON")
        expl.append("No classification reason is given, though the order requires one.")

    # Rule 3: 50X1-HUM, 50X2-WMD, legacy 25X1-human; any date is ignored.
    if scan.hum_wmd:
        if scan.has_date_text:
            warnings.add("W_DATE_IGNORED_FOR_HUM_WMD")
            expl.append("The date in the instruction is ignored for this exemption.")
        for code in scan.hum_wmd:
            if code.startswith("25X1") == (origin >= _EO13526_DIRECTIVE):
                warnings.add("W_MARKING_ERA_MISMATCH")
                expl.append(f"{code} does not belong to the era of the cable's date.")
        when = _auto(origin, 75)
        return _result(
            when, "automatic", "R-50X-HUM-WMD", warnings, flags, expl,
            f"Rule R-50X-HUM-WMD: {', '.join(scan.hum_wmd)} is exempt until "
            f"31 December 75 years after origin ({when.isoformat()}).",
        )  # fmt: skip

    if scan.has_date_text:
        valid, invalid_n = _resolve_dates(scan, origin, expl)
    else:
        valid, invalid_n = [], 0
    # `valid` is sorted, so its last date is the latest (4.6.3: longest protection).
    latest = valid[-1] if valid and valid[-1] > origin else None

    # Rules 4-6: exemptions at 75, 50 and 25 years.
    if scan.x75 or scan.x50 or scan.x25:
        _date_warnings(warnings, expl, valid, latest, invalid_n)
        if scan.x75:
            if latest is None:
                warnings.add("W_75X_WITHOUT_DATE")
                return _result(
                    None, "none", "R-75X", warnings, flags, expl,
                    "Rule R-75X: a 75-year exemption without an approved date, so no "
                    "date can be computed.",
                )  # fmt: skip
            return _result(
                latest, "exact", "R-75X", warnings, flags, expl,
                f"Rule R-75X: a 75-year exemption with the approved date "
                f"{latest.isoformat()}.",
            )  # fmt: skip
        if scan.x50:
            years, rule, over = 75, "R-50X", "W_EXCEEDS_75Y"
        else:
            years, rule, over = 50, "R-25X", "W_EXCEEDS_50Y"
        cap = _auto(origin, years)
        if latest is None:
            warnings.add("W_EXEMPTION_WITHOUT_DATE")
            return _result(
                cap, "automatic", rule, warnings, flags, expl,
                f"Rule {rule}: an exemption without a date lapses on 31 December "
                f"{years} years after origin ({cap.isoformat()}).",
            )  # fmt: skip
        if latest > cap:
            warnings.add(over)
            return _result(
                cap, "automatic", rule, warnings, flags, expl,
                f"Rule {rule}: the date {latest.isoformat()} is beyond the "
                f"{years}-year limit, so {cap.isoformat()} applies.",
            )  # fmt: skip
        return _result(
            latest, "exact", rule, warnings, flags, expl,
            f"Rule {rule}: the exemption date {latest.isoformat()} is within the "
            f"{years}-year limit ({cap.isoformat()}), so it governs.",
        )  # fmt: skip

    auto25 = _auto(origin, 25)

    # Rule 7: a malformed exemption code.
    if scan.bad_exemption:
        warnings.add("W_UNKNOWN_CODE")
        return _result(
            auto25, "automatic", "R-UNKNOWN", warnings, flags, expl,
            f"Rule R-UNKNOWN: '{scan.bad_exemption}' is not a valid exemption code; as "
            f"an incomplete instruction, {_fallback(auto25)}.",
        )  # fmt: skip

    # Rule 8: orders before E.O. 12356, whose schedules are not modelled.
    if origin < _PRE_EO12356 or scan.pre1982:
        why = (
            "the cable predates E.O. 12356"
            if origin < _PRE_EO12356
            else "the instruction uses a pre-1982 schedule code"
        )
        return _result(
            auto25, "automatic", "R-PRE-1982", warnings, flags, expl,
            f"Rule R-PRE-1982: {why}; old schedules are not modelled, so "
            f"{_fallback(auto25)}.",
        )  # fmt: skip

    # Rules 9-11: a marked date.
    if valid:
        _date_warnings(warnings, expl, valid, latest, invalid_n)
        if latest is None:
            warnings.add("W_DECL_NOT_AFTER_ORIGIN")
            return _result(
                auto25, "automatic", "R-INVALID", warnings, flags, expl,
                f"Rule R-INVALID: no marked date is after the date of origin "
                f"({origin.isoformat()}), so {_fallback(auto25)}.",
            )  # fmt: skip
        if scan.oadr or scan.xcode is not None or scan.mr:
            warnings.add("W_DATE_AND_LEGACY_CODE")
            expl.append("An indefinite legacy code is also present; the date wins.")
        limit = _anniv(origin, 25)
        if latest > limit:
            warnings.add("W_EXCEEDS_25Y")
            return _result(
                auto25, "automatic", "R-DATE-CAPPED", warnings, flags, expl,
                f"Rule R-DATE-CAPPED: the marked date {latest.isoformat()} is more "
                f"than 25 years after origin ({limit.isoformat()}), so section 3.3 "
                f"governs and {_fallback(auto25)}.",
            )  # fmt: skip
        if (
            _EO12958_START <= origin <= _EO12958_END
            and scan.xcode is None
            and latest > _anniv(origin, 10)
        ):
            warnings.add("W_EXCEEDS_10Y_UNDER_12958")
            expl.append("The date is over 10 years after origin, beyond E.O. 12958.")
        expl.append(
            f"Rule R-DATE: the marked date is within 25 years of origin "
            f"({limit.isoformat()}), so it governs."
        )
        review = as_of < latest
        if review:
            expl.append(
                f"Review required: {latest.isoformat()} is after "
                f"{as_of.isoformat()}, so the cable is still classified."
            )
        else:
            expl.append(
                f"Declassified on {latest.isoformat()}, on or before "
                f"{as_of.isoformat()}: no classification review needed."
            )
        return DeclassResult(
            latest, "exact", "R-DATE", review, frozenset(warnings), flags, tuple(expl)
        )

    # Rule 12: date text that is no date.
    if invalid_n:
        warnings.add("W_UNPARSEABLE_DATE")
        return _result(
            auto25, "automatic", "R-INVALID", warnings, flags, expl,
            f"Rule R-INVALID: the date text is not a calendar date, so "
            f"{_fallback(auto25)}.",
        )  # fmt: skip

    # Rules 13-15: indefinite legacy markings.
    if scan.oadr:
        if origin > _EO12958_START:
            warnings.add("W_LEGACY_CODE_OUT_OF_WINDOW")
            expl.append("OADR is valid only on cables dated up to 1995-10-14.")
        return _result(
            auto25, "automatic", "R-OADR", warnings, flags, expl,
            f"Rule R-OADR: OADR is indefinite, so {_fallback(auto25)}.",
        )  # fmt: skip
    if scan.xcode is not None:
        if not _EO12958_START <= origin <= _EO12958_END:
            warnings.add("W_LEGACY_CODE_OUT_OF_WINDOW")
            expl.append("X-codes are valid only on cables of 1995-10-14 to 2003-09-21.")
        return _result(
            auto25, "automatic", "R-X", warnings, flags, expl,
            f"Rule R-X: the exemption code {scan.xcode} is indefinite, so "
            f"{_fallback(auto25)}.",
        )  # fmt: skip
    if scan.mr:
        return _result(
            auto25, "automatic", "R-MR", warnings, flags, expl,
            f"Rule R-MR: manual review or DCI/DNI only is indefinite, so "
            f"{_fallback(auto25)}.",
        )  # fmt: skip

    # Rules 16-19: mis-filled, missing, unknown code, event.
    if scan.reason_in_decl:
        warnings.add("W_REASON_IN_DECL")
        return _result(
            auto25, "automatic", "R-MISSING", warnings, flags, expl,
            f"Rule R-MISSING: the DECL line holds a classification reason instead of "
            f"an instruction, so {_fallback(auto25)}.",
        )  # fmt: skip
    if not s or scan.na:
        warnings.add("W_NA_ON_CLASSIFIED" if s else "W_MISSING_DECL")
        return _result(
            auto25, "automatic", "R-MISSING", warnings, flags, expl,
            f"Rule R-MISSING: a classified cable without a usable instruction, so "
            f"{_fallback(auto25)}.",
        )  # fmt: skip
    if scan.code_like:
        warnings.add("W_UNKNOWN_CODE")
        return _result(
            auto25, "automatic", "R-UNKNOWN", warnings, flags, expl,
            f"Rule R-UNKNOWN: '{s}' looks like a code but is not a known one, so "
            f"{_fallback(auto25)}.",
        )  # fmt: skip
    return _result(
        auto25, "outer_bound", "R-EVENT", warnings, flags, expl,
        f"Rule R-EVENT: declassification on an event ('{s}'); section 3.3 sets the "
        f"outer bound {auto25.isoformat()}, and the event may come earlier.",
    )  # fmt: skip

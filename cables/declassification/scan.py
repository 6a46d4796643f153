"""Analysis of a DECL line (sections 4.6.2 to 4.6.4): normalisation, date scan, recognisers.

Everything here depends on the text alone, never on the cable's dates, so the engine
memoises :func:`analyse_decl` per distinct (DECL line, extra exemption codes), together
with the walk of the rule table the line leaves: a corpus repeats the same
instructions many times over.  Every regular expression is compiled at import time.
The one part that needs origin, the century of a two-digit year (4.6.3), is left to
:func:`resolve_dates`, which runs per call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

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


class Scan(NamedTuple):
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
    """The date part of a Scan; explanation lines are built here, on a cache miss,
    so that repeated instructions do not pay for them again."""
    fixed, two, invalid = _settle(candidates, texts)
    invalid.extend(leftovers)
    fixed = tuple(sorted(set(fixed))) if len(fixed) > 1 else fixed
    return {
        "fixed_dates": fixed,
        "two_digit": two,
        "invalid_texts": tuple(invalid),
        "has_date_text": bool(fixed or two or invalid),
        "intro": f"Instruction read as '{s}'." if s else Scan._field_defaults["intro"],
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


def _fast_scan(fast: re.Match[str]) -> Scan:
    """Build the Scan of a one-date line directly: the commonest cache miss, so it
    skips the general path's intermediate lists and keyword plumbing."""
    s, mo, d, y2, y, m2, d2, y3, m3, d3 = fast.groups()
    intro = f"Instruction read as '{s}'."
    if mo is not None:
        month, day = int(mo), int(d)
        if len(y2) == 2:
            if 1 <= month <= 12 and 1 <= day <= 31:
                return Scan(s, two_digit=((int(y2), month, day),), has_date_text=True,
                            intro=intro)  # fmt: skip
            return Scan(s, invalid_texts=(s,), has_date_text=True, intro=intro,
                        date_notes=_date_notes((), (s,)))  # fmt: skip
        year = int(y2)
    elif y is not None:
        year, month, day = int(y), int(m2), int(d2)
    else:
        year, month, day = int(y3), int(m3), int(d3)
    try:
        when = date(year, month, day)
    except ValueError:
        return Scan(s, invalid_texts=(s,), has_date_text=True, intro=intro,
                    date_notes=_date_notes((), (s,)))  # fmt: skip
    note = f"Found date {when.isoformat()} in the instruction."
    return Scan(s, fixed_dates=(when,), has_date_text=True, intro=intro,
                date_notes=(note,))  # fmt: skip


def analyse_decl(decl: str | None, exemptions: tuple[str, ...]) -> Scan:
    """Every fact of a DECL line and the extra exemption codes (memoised by the engine)."""
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
    return Scan(
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
# Per call: two-digit years, whose century depends on origin (4.6.3)
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


def resolve_dates(scan: Scan, origin: date, expl: list[str]) -> tuple[Sequence[date], int]:
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

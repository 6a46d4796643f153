"""The engine: :func:`declass_status` checks its inputs, gathers the memoised readings
of the DECL line and of the reasons, and walks the table of :mod:`.rules` until a rule
concludes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from .dates import MAX_ORIGIN_YEAR, as_date
from .levels import normalise_level
from .reasons import era, parse_reasons, reasons_info
from .rules import Walk, open_case, walks_for
from .scan import Scan, analyse_decl
from .values import DeclassInputError, DeclassResult


@lru_cache(maxsize=16384)
def _read_decl(
    decl: str | None, exemptions: tuple[str, ...]
) -> tuple[Scan, tuple[tuple[Walk, Walk], tuple[Walk, Walk]]]:
    """The analysis of a DECL line (and extra exemption codes) and the walks of the
    table it leaves, once per distinct line: a corpus repeats the same instructions
    many times over, and neither depends on the cable's dates."""
    scan = analyse_decl(decl, exemptions)
    return scan, walks_for(scan)


def _exemption_codes(exemptions: Sequence[str]) -> tuple[str, ...]:
    if isinstance(exemptions, (str, bytes)):
        raise DeclassInputError("exemptions", "expected a list of strings, got", exemptions)
    codes = tuple(exemptions)
    for code in codes:
        if not isinstance(code, str):
            raise DeclassInputError("exemptions", "code must be text, got", code)
    return codes


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
        origin = as_date(origin, "origin")
    if as_of.__class__ is not date:
        as_of = as_date(as_of, "as_of")
    if origin.year > MAX_ORIGIN_YEAR:
        raise DeclassInputError("origin", "date of origin out of range:", origin)
    lvl = normalise_level(level)
    if decl is not None and not isinstance(decl, str):
        raise DeclassInputError("decl", "expected text or None, got", decl)
    scan, walks = _read_decl(decl, _exemption_codes(exemptions) if exemptions else ())
    key = tuple(reasons) if reasons.__class__ is list else None
    if key is not None:
        for raw in key:
            if raw.__class__ is not str:
                key = None
                break
    if key is None:
        # Not a plain list of str: validate (raises naming the bad value) and copy.
        key = tuple(item.raw for item in parse_reasons(reasons).items)
    reading, by_era = reasons_info(key)

    case = open_case(
        origin, as_of, aea, lvl, scan, reading.present, reading.flags, set(by_era[era(origin)])
    )
    # The walk for this line, chosen by the call facts (rules.CALL_FACTS).
    for step in walks[lvl == "U"][1 if aea else 0]:
        result = step(case)
        if result is not None:
            return result
    raise AssertionError("unreachable: the last rule, R-EVENT, always concludes")

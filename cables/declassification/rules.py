"""The decision order of section 4.6.5 as an ordered table of rules, first match wins.

:data:`DECISION_ORDER` lists the rows of 4.6.5 in order.  Each rule is a small function
of a :class:`Case`, documented with the row it implements and why: it returns None when
its row does not apply and the result when it does.  A rule adds warnings and
explanation lines only once it has matched, so a rule that declines leaves no trace.
Like the rows of 4.6.5, a rule may rely on every earlier one having declined: row 5,
"50X code", means a 50X code and no 75X code, and row 19 is "anything else".

The rows come in three stages, because two sets of facts are established on the way
down, just before the first row that reads them, and the explanation shows them there:

- rules 1-2 read the inputs as given;
- before rule 3 the cable is known to be classified: the explanation says how the
  instruction was read, and a missing reason is noted (W_NO_REASON is only for
  classified cables that reach rule 3 or later, 4.6.6);
- before rule 4 the marked dates are settled (4.6.3); rule 3 ignores dates altogether.

Most rows need a fact that most cables lack (an OADR, an X-code, any date text, an
unclassified level): each rule names that fact (``needs``), and :func:`walks_for`
leaves out, once per distinct DECL line, the rules that cannot apply.  A call then
visits only the rules that can, in table order, which keeps the table about as fast as
the if-chain it replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from .dates import (
    EO12958_END,
    EO12958_START,
    EO13526_DIRECTIVE,
    PRE_EO12356,
    anniv,
    auto,
)
from .levels import LEVEL_LINES
from .scan import Scan, resolve_dates
from .values import DeclassResult, new_result

# -------------------------------------------------------------------------------------
# The case a rule reads
# -------------------------------------------------------------------------------------


class Case:
    """One cable on its way down the table: the inputs, the facts established so far,
    and the warnings and explanation lines of the result being built.

    Built by :func:`open_case`.  ``valid``, ``invalid_n`` and ``latest`` describe the
    marked dates from rule 4 on (see :func:`read_marked_dates`); until then, and for a
    line without date text, they say "no date".
    """

    __slots__ = (
        "origin",
        "as_of",
        "aea",
        "level",
        "scan",
        "has_reason",
        "flags",
        "warnings",
        "expl",
        "valid",
        "invalid_n",
        "latest",
    )

    origin: date
    as_of: date
    aea: bool  # the ``aea`` input: RD, FRD or TFNI marked anywhere on the cable
    level: str  # "U", "C", "S" or "TS"
    scan: Scan  # the memoised analysis of the DECL line
    has_reason: bool  # any classification reason was written
    flags: frozenset[str]  # routing flags from the reasons (section 3.4)
    warnings: set[str]
    expl: list[str]
    valid: Sequence[date]  # distinct valid marked dates, ascending
    invalid_n: int  # date texts that are not dates
    latest: date | None  # `d` of 4.6.5: the latest valid date after origin


_new_object = object.__new__


def open_case(
    origin: date,
    as_of: date,
    aea: bool,
    level: str,
    scan: Scan,
    has_reason: bool,
    flags: frozenset[str],
    warnings: set[str],
) -> Case:
    """A new :class:`Case`.  A plain function rather than ``Case.__init__``: CPython
    runs a function call inline, but not a class call with a Python ``__init__``."""
    case = _new_object(Case)
    case.origin = origin
    case.as_of = as_of
    case.aea = aea
    case.level = level
    case.scan = scan
    case.has_reason = has_reason
    case.flags = flags
    case.warnings = warnings
    case.expl = [LEVEL_LINES[level]]
    case.valid = ()
    case.invalid_n = 0
    case.latest = None
    return case


def _review(case: Case, when: date | None, kind: str, rule: str, rule_line: str) -> DeclassResult:
    """Close a rule that always needs review (every rule except 2 and 10)."""
    expl = case.expl
    expl.append(rule_line)
    expl.append("Review required: the markings alone do not show the cable declassified.")
    return new_result(when, kind, rule, True, frozenset(case.warnings), case.flags, tuple(expl))


def _fallback(auto25: date) -> str:
    # Built only by the rules that use it; R-DATE, the common case, does not.
    return f"the 25-year date {auto25.isoformat()} applies"


def _date_warnings(case: Case) -> None:
    """Warnings shared by every rule that reads the marked date (4-6 and 9-11)."""
    valid, latest = case.valid, case.latest
    if len(valid) > 1:
        case.warnings.add("W_MULTIPLE_DATES")
        if latest is not None:
            case.expl.append(f"Several dates: the latest, {latest.isoformat()}, is used.")
    # The next two go beyond the letter of 4.6.5 (4.6.6 allows it; no vector has such
    # inputs): an unreadable date beside a readable one may be the intended, later
    # date, and an exemption whose only date precedes origin is not "without date".
    if case.invalid_n:
        case.warnings.add("W_UNPARSEABLE_DATE")
    if latest is None and valid:
        case.warnings.add("W_DECL_NOT_AFTER_ORIGIN")


# -------------------------------------------------------------------------------------
# Rules 1-2: any level
# -------------------------------------------------------------------------------------


def aea_material(case: Case) -> DeclassResult | None:
    """Rule 1, R-AEA: Atomic Energy Act (RD, FRD, TFNI) or NATO material.

    32 CFR 2001.24(h)(2)-(3) and 2001.30(p): such information is excluded from
    automatic declassification and referred to the owning agency, so no date is
    computed.  Checked before the level, so that not even an unclassified marking
    releases such material.
    """
    scan = case.scan
    if not (case.aea or scan.aea):
        return None
    case.expl.append(
        "The cable is marked as carrying RD, FRD or TFNI."
        if case.aea
        else f"The instruction '{scan.s}' mentions RD/FRD, TFNI or NATO portions."
    )
    return _review(
        case, None, "none", "R-AEA",
        "Rule R-AEA: Atomic Energy Act or NATO information is excluded from "
        "automatic declassification and goes to the owning agency, so no date is "
        "computed.",
    )  # fmt: skip


def not_classified(case: Case) -> DeclassResult | None:
    """Rule 2, R-NOT-CLASSIFIED: the level is unclassified.

    EO13526 §1.2 and 12 FAM 541: there is no classification to lapse, so no date
    applies and no classification review is needed (the FOIA screen of section 5 still
    applies).  A DECL instruction on such a cable is a marking error and is ignored,
    with W_DECL_ON_UNCLASSIFIED unless it is empty or N/A.
    """
    if case.level != "U":
        return None
    s = case.scan.s
    expl = case.expl
    if s and not case.scan.na:
        case.warnings.add("W_DECL_ON_UNCLASSIFIED")
        expl.append(f"The instruction '{s}' on an unclassified cable is ignored.")
    expl.append(
        "Rule R-NOT-CLASSIFIED: the markings show the cable is not classified, so "
        "no declassification date applies."
    )
    expl.append("No classification review needed (the FOIA screen still applies).")
    return new_result(
        None, "not_applicable", "R-NOT-CLASSIFIED", False, frozenset(case.warnings),
        case.flags, tuple(expl),
    )  # fmt: skip


# -------------------------------------------------------------------------------------
# Rule 3: classified, dates ignored
# -------------------------------------------------------------------------------------


def open_classified(case: Case) -> None:
    """Before rule 3: the cable is classified, so say how its instruction was read, and
    note a missing reason.  Every order from E.O. 12958 (1995-10-14) requires one;
    E.O. 12356 markings had none (sections 3.1 and 3.4: W_NO_REASON)."""
    case.expl.append(case.scan.intro)
    if case.origin >= EO12958_START and not case.has_reason:
        case.warnings.add("W_NO_REASON")
        case.expl.append("No classification reason is given, though the order requires one.")


def hum_wmd(case: Case) -> DeclassResult | None:
    """Rule 3, R-50X-HUM-WMD: 50X1-HUM, 50X2-WMD or the legacy 25X1-human.

    32 CFR 2001.12(a)(2), 2001.26(b) and EO13526 §3.3(h): a human source or weapons of
    mass destruction is exempt until 31 December 75 years after origin whatever date is
    marked, so any date is ignored (W_DATE_IGNORED_FOR_HUM_WMD).  25X1-human was
    replaced by 50X1-HUM on 2010-06-25; a code of the other era is flagged
    (W_MARKING_ERA_MISMATCH).
    """
    scan = case.scan
    if not scan.hum_wmd:
        return None
    if scan.has_date_text:
        case.warnings.add("W_DATE_IGNORED_FOR_HUM_WMD")
        case.expl.append("The date in the instruction is ignored for this exemption.")
    for code in scan.hum_wmd:
        if code.startswith("25X1") == (case.origin >= EO13526_DIRECTIVE):
            case.warnings.add("W_MARKING_ERA_MISMATCH")
            case.expl.append(f"{code} does not belong to the era of the cable's date.")
    when = auto(case.origin, 75)
    return _review(
        case, when, "automatic", "R-50X-HUM-WMD",
        f"Rule R-50X-HUM-WMD: {', '.join(scan.hum_wmd)} is exempt until "
        f"31 December 75 years after origin ({when.isoformat()}).",
    )  # fmt: skip


# -------------------------------------------------------------------------------------
# Rules 4-19: classified, marked dates read
# -------------------------------------------------------------------------------------


def read_marked_dates(case: Case) -> None:
    """Before rule 4, when the line has date text: settle the marked dates (4.6.3),
    including the century of two-digit years, and find `d`, the latest valid date after
    origin.  The dates are sorted, so the latest (the longest protection) is the last."""
    valid, case.invalid_n = resolve_dates(case.scan, case.origin, case.expl)
    case.valid = valid
    case.latest = valid[-1] if valid and valid[-1] > case.origin else None


def exempt_75(case: Case) -> DeclassResult | None:
    """Rule 4, R-75X: a 75-year exemption (75X).

    32 CFR 2001.26(c): the date of a 75-year exemption is approved case by case and
    cannot be derived, so it is `d` when marked, and otherwise no date at all
    (W_75X_WITHOUT_DATE).
    """
    if not case.scan.x75:
        return None
    _date_warnings(case)
    latest = case.latest
    if latest is None:
        case.warnings.add("W_75X_WITHOUT_DATE")
        return _review(
            case, None, "none", "R-75X",
            "Rule R-75X: a 75-year exemption without an approved date, so no "
            "date can be computed.",
        )  # fmt: skip
    return _review(
        case, latest, "exact", "R-75X",
        f"Rule R-75X: a 75-year exemption with the approved date {latest.isoformat()}.",
    )  # fmt: skip


def exempt_50(case: Case) -> DeclassResult | None:
    """Rule 5, R-50X: a 50-year exemption (50X1 to 50X9 other than HUM and WMD).

    32 CFR 2001.26(b)(3) and EO13526 §3.3(h)(3): the marked date governs up to 31
    December 75 years after origin, which is also the date when none is marked.
    """
    if not case.scan.x50:
        return None
    return _limited_exemption(case, 75, "R-50X", "W_EXCEEDS_75Y")


def exempt_25(case: Case) -> DeclassResult | None:
    """Rule 6, R-25X: a 25-year exemption (25X1 to 25X9 other than 25X1-human).

    32 CFR 2001.26(a)(1), EO13526 §3.3(h) and CAPCO §E.6: the marked date governs up
    to 31 December 50 years after origin, which is also the date when none is marked.
    """
    if not case.scan.x25:
        return None
    return _limited_exemption(case, 50, "R-25X", "W_EXCEEDS_50Y")


def _limited_exemption(case: Case, years: int, rule: str, over: str) -> DeclassResult:
    """Rules 5 and 6: `d` if it is within ``years``, else ``auto(years)``."""
    _date_warnings(case)
    latest = case.latest
    cap = auto(case.origin, years)
    if latest is None:
        case.warnings.add("W_EXEMPTION_WITHOUT_DATE")
        return _review(
            case, cap, "automatic", rule,
            f"Rule {rule}: an exemption without a date lapses on 31 December "
            f"{years} years after origin ({cap.isoformat()}).",
        )  # fmt: skip
    if latest > cap:
        case.warnings.add(over)
        return _review(
            case, cap, "automatic", rule,
            f"Rule {rule}: the date {latest.isoformat()} is beyond the "
            f"{years}-year limit, so {cap.isoformat()} applies.",
        )  # fmt: skip
    return _review(
        case, latest, "exact", rule,
        f"Rule {rule}: the exemption date {latest.isoformat()} is within the "
        f"{years}-year limit ({cap.isoformat()}), so it governs.",
    )  # fmt: skip


def bad_exemption(case: Case) -> DeclassResult | None:
    """Rule 7, R-UNKNOWN: a malformed exemption code such as 25X10 or 50X0.

    32 CFR 2001.12(c)(2): an instruction that cannot be read is incomplete, so the
    25-year date of section 3.3 applies (W_UNKNOWN_CODE).
    """
    code = case.scan.bad_exemption
    if not code:
        return None
    case.warnings.add("W_UNKNOWN_CODE")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-UNKNOWN",
        f"Rule R-UNKNOWN: '{code}' is not a valid exemption code; as "
        f"an incomplete instruction, {_fallback(auto25)}.",
    )  # fmt: skip


def pre_1982(case: Case) -> DeclassResult | None:
    """Rule 8, R-PRE-1982: a cable older than E.O. 12356 (1982-08-01), or an instruction
    in a pre-1982 schedule code (GDS, XGDS, RDS, XDS, ADS).

    32 CFR 2001.12(c): prior-order markings give way to section 3.3.  The old
    schedules are not modelled (a convention of this service), so the 25-year date
    applies.
    """
    origin = case.origin
    if not (origin < PRE_EO12356 or case.scan.pre1982):
        return None
    why = (
        "the cable predates E.O. 12356"
        if origin < PRE_EO12356
        else "the instruction uses a pre-1982 schedule code"
    )
    auto25 = auto(origin, 25)
    return _review(
        case, auto25, "automatic", "R-PRE-1982",
        f"Rule R-PRE-1982: {why}; old schedules are not modelled, so "
        f"{_fallback(auto25)}.",
    )  # fmt: skip


def date_not_after_origin(case: Case) -> DeclassResult | None:
    """Rule 9, R-INVALID: valid dates are marked, but none is after origin.

    32 CFR 2001.12(c)(2): a declassification date at or before the cable's own date is
    no instruction at all, so the 25-year date applies (W_DECL_NOT_AFTER_ORIGIN).
    """
    if not case.valid or case.latest is not None:
        return None
    _date_warnings(case)
    case.warnings.add("W_DECL_NOT_AFTER_ORIGIN")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-INVALID",
        f"Rule R-INVALID: no marked date is after the date of origin "
        f"({case.origin.isoformat()}), so {_fallback(auto25)}.",
    )  # fmt: skip


def _legacy_code_beside_date(case: Case) -> None:
    """Rules 10 and 11: an indefinite legacy code beside a date does not beat it."""
    scan = case.scan
    if scan.oadr or scan.xcode is not None or scan.mr:
        case.warnings.add("W_DATE_AND_LEGACY_CODE")
        case.expl.append("An indefinite legacy code is also present; the date wins.")


def marked_date(case: Case) -> DeclassResult | None:
    """Rule 10, R-DATE: `d` is at most 25 years after origin (anniv(25)).

    32 CFR 2001.12(b) and (c)(1): the order declassifies on the marked date unless it
    was extended before then, and extension requires notice to holders; so a date on
    or before ``as_of`` needs no classification review.  On a cable of 1995-10-14 to
    2003-09-21, E.O. 12958 allowed a date more than 10 years on only with an X-code
    (§1.6(b), (d): W_EXCEEDS_10Y_UNDER_12958).  The only rule besides rule 2 that can
    conclude without review.
    """
    latest = case.latest
    if latest is None:
        return None
    origin = case.origin
    limit = anniv(origin, 25)
    if latest > limit:
        return None
    _date_warnings(case)
    _legacy_code_beside_date(case)
    expl = case.expl
    if (
        EO12958_START <= origin <= EO12958_END
        and case.scan.xcode is None
        and latest > anniv(origin, 10)
    ):
        case.warnings.add("W_EXCEEDS_10Y_UNDER_12958")
        expl.append("The date is over 10 years after origin, beyond E.O. 12958.")
    expl.append(
        f"Rule R-DATE: the marked date is within 25 years of origin "
        f"({limit.isoformat()}), so it governs."
    )
    as_of = case.as_of
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
    return new_result(
        latest, "exact", "R-DATE", review, frozenset(case.warnings), case.flags, tuple(expl)
    )


def marked_date_capped(case: Case) -> DeclassResult | None:
    """Rule 11, R-DATE-CAPPED: `d` is more than 25 years after origin.

    32 CFR 2001.12(c)(1): such a date is replaced by the section 3.3 regime, whose date
    is 31 December 25 years after origin (W_EXCEEDS_25Y), even when that is later than
    the marked date (vector V12).  Reached only with `d` beyond anniv(25): rule 10
    takes the rest.
    """
    latest = case.latest
    if latest is None:
        return None
    _date_warnings(case)
    _legacy_code_beside_date(case)
    case.warnings.add("W_EXCEEDS_25Y")
    origin = case.origin
    auto25 = auto(origin, 25)
    return _review(
        case, auto25, "automatic", "R-DATE-CAPPED",
        f"Rule R-DATE-CAPPED: the marked date {latest.isoformat()} is more "
        f"than 25 years after origin ({anniv(origin, 25).isoformat()}), so section 3.3 "
        f"governs and {_fallback(auto25)}.",
    )  # fmt: skip


def unreadable_date(case: Case) -> DeclassResult | None:
    """Rule 12, R-INVALID: date text is marked, but none of it is a calendar date.

    32 CFR 2001.12(c)(2): an instruction that cannot be read is incomplete, so the
    25-year date applies (W_UNPARSEABLE_DATE).  Reached only with no valid date.
    """
    if not case.invalid_n:
        return None
    case.warnings.add("W_UNPARSEABLE_DATE")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-INVALID",
        f"Rule R-INVALID: the date text is not a calendar date, so {_fallback(auto25)}.",
    )  # fmt: skip


def oadr(case: Case) -> DeclassResult | None:
    """Rule 13, R-OADR: "Originating Agency's Determination Required".

    EO13526 §1.5(d) and 32 CFR 2001.12(c)(2): OADR is indefinite, which the orders no
    longer allow, so the 25-year date applies.  OADR is valid only on cables dated up
    to 1995-10-14 (CAPCO legacy table, section 4.2); on a later cable it is flagged
    (W_LEGACY_CODE_OUT_OF_WINDOW).
    """
    if not case.scan.oadr:
        return None
    if case.origin > EO12958_START:
        case.warnings.add("W_LEGACY_CODE_OUT_OF_WINDOW")
        case.expl.append("OADR is valid only on cables dated up to 1995-10-14.")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-OADR",
        f"Rule R-OADR: OADR is indefinite, so {_fallback(auto25)}.",
    )  # fmt: skip


def x_code(case: Case) -> DeclassResult | None:
    """Rule 14, R-X: an E.O. 12958 exemption code X1 to X8 (section 4.2).

    32 CFR 2001.12(c)(2): the X-codes are indefinite, so the 25-year date applies.
    They are valid only on cables of 1995-10-14 to 2003-09-21 (CAPCO legacy table);
    outside that window they are flagged (W_LEGACY_CODE_OUT_OF_WINDOW).
    """
    code = case.scan.xcode
    if code is None:
        return None
    if not EO12958_START <= case.origin <= EO12958_END:
        case.warnings.add("W_LEGACY_CODE_OUT_OF_WINDOW")
        case.expl.append("X-codes are valid only on cables of 1995-10-14 to 2003-09-21.")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-X",
        f"Rule R-X: the exemption code {code} is indefinite, so {_fallback(auto25)}.",
    )  # fmt: skip


def manual_review(case: Case) -> DeclassResult | None:
    """Rule 15, R-MR: "MR" (manual review), "DCI Only" or "DNI Only".

    32 CFR 2001.12(c)(2): these are indefinite, so the 25-year date applies.
    """
    if not case.scan.mr:
        return None
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-MR",
        f"Rule R-MR: manual review or DCI/DNI only is indefinite, so {_fallback(auto25)}.",
    )  # fmt: skip


def reason_in_decl(case: Case) -> DeclassResult | None:
    """Rule 16, R-MISSING: the DECL line holds a classification reason ("1.4(b)").

    32 CFR 2001.12(c)(2): the instruction was mis-filled, so the cable has none and
    the 25-year date applies (W_REASON_IN_DECL).
    """
    if not case.scan.reason_in_decl:
        return None
    case.warnings.add("W_REASON_IN_DECL")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-MISSING",
        f"Rule R-MISSING: the DECL line holds a classification reason instead of "
        f"an instruction, so {_fallback(auto25)}.",
    )  # fmt: skip


def missing_instruction(case: Case) -> DeclassResult | None:
    """Rule 17, R-MISSING: no DECL line, or "N/A", on a classified cable.

    EO13526 §1.5(d) and 32 CFR 2001.12(c)(2): a classified cable must say when it is
    declassified; without a usable instruction the 25-year date applies
    (W_MISSING_DECL, or W_NA_ON_CLASSIFIED for "N/A").
    """
    scan = case.scan
    if scan.s and not scan.na:
        return None
    case.warnings.add("W_NA_ON_CLASSIFIED" if scan.s else "W_MISSING_DECL")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-MISSING",
        f"Rule R-MISSING: a classified cable without a usable instruction, so "
        f"{_fallback(auto25)}.",
    )  # fmt: skip


def unknown_code(case: Case) -> DeclassResult | None:
    """Rule 18, R-UNKNOWN: a short code-like token that is no known code.

    32 CFR 2001.12(c)(2): an instruction that cannot be read is incomplete, so the
    25-year date applies (W_UNKNOWN_CODE).  After every known code and before rule 19:
    a short token that is no known code is an unknown code, not an event.
    """
    scan = case.scan
    if not scan.code_like:
        return None
    case.warnings.add("W_UNKNOWN_CODE")
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "automatic", "R-UNKNOWN",
        f"Rule R-UNKNOWN: '{scan.s}' looks like a code but is not a known one, so "
        f"{_fallback(auto25)}.",
    )  # fmt: skip


def event(case: Case) -> DeclassResult:
    """Rule 19, R-EVENT: anything else, read as a declassification event.

    EO13526 §1.5(a) allows declassification on an event; an event later than 25 years
    is governed by section 3.3 (32 CFR 2001.12(c)(1)), so the 25-year date is an outer
    bound and the event may come earlier.  Always matches, so the table never runs out.
    """
    auto25 = auto(case.origin, 25)
    return _review(
        case, auto25, "outer_bound", "R-EVENT",
        f"Rule R-EVENT: declassification on an event ('{case.scan.s}'); section 3.3 sets "
        f"the outer bound {auto25.isoformat()}, and the event may come earlier.",
    )  # fmt: skip


# -------------------------------------------------------------------------------------
# The table
# -------------------------------------------------------------------------------------


class Rule(NamedTuple):
    """One row of the 4.6.5 table: its number, the rule id it concludes with, the
    function that decides it, and the fact it cannot apply without.

    ``needs`` names a fact that must be set for the rule to have any chance, or a tuple
    of facts of which any will do; None when the rule must always be asked.  A fact is
    a :class:`~.scan.Scan` field (true or non-empty), e.g. "oadr" for R-OADR, or one of
    the :data:`CALL_FACTS`.  It only lets the walk skip the rule: ``decide`` still
    checks the whole condition.
    """

    number: int
    id: str
    decide: Callable[[Case], DeclassResult | None]
    needs: str | tuple[str, ...] | None = None


class Stage(NamedTuple):
    """Consecutive rows that read the same facts; ``opening`` establishes those facts
    before the first of them (None: the inputs suffice), and has work to do only when
    the fact ``opening_needs`` is set (None: always)."""

    opening: Callable[[Case], None] | None
    rules: tuple[Rule, ...]
    opening_needs: str | None = None


# Facts of the call that are known before the walk and that rules 1-2 read: the level
# is unclassified, and the ``aea`` input is set.
CALL_FACTS = ("unclassified", "aea_flag")

DECISION_ORDER: tuple[Stage, ...] = (
    Stage(
        None,
        (
            Rule(1, "R-AEA", aea_material, needs=("aea_flag", "aea")),
            Rule(2, "R-NOT-CLASSIFIED", not_classified, needs="unclassified"),
        ),
    ),
    Stage(
        open_classified,
        (Rule(3, "R-50X-HUM-WMD", hum_wmd, needs="hum_wmd"),),
    ),
    Stage(
        read_marked_dates,
        (
            Rule(4, "R-75X", exempt_75, needs="x75"),
            Rule(5, "R-50X", exempt_50, needs="x50"),
            Rule(6, "R-25X", exempt_25, needs="x25"),
            Rule(7, "R-UNKNOWN", bad_exemption, needs="bad_exemption"),
            Rule(8, "R-PRE-1982", pre_1982),
            Rule(9, "R-INVALID", date_not_after_origin, needs="has_date_text"),
            Rule(10, "R-DATE", marked_date, needs="has_date_text"),
            Rule(11, "R-DATE-CAPPED", marked_date_capped, needs="has_date_text"),
            Rule(12, "R-INVALID", unreadable_date, needs="has_date_text"),
            Rule(13, "R-OADR", oadr, needs="oadr"),
            Rule(14, "R-X", x_code, needs="xcode"),
            Rule(15, "R-MR", manual_review, needs="mr"),
            Rule(16, "R-MISSING", reason_in_decl, needs="reason_in_decl"),
            Rule(17, "R-MISSING", missing_instruction),
            Rule(18, "R-UNKNOWN", unknown_code, needs="code_like"),
            Rule(19, "R-EVENT", event),
        ),
        opening_needs="has_date_text",
    ),
)

# The whole table in order, for reading and for tests.
RULES: tuple[Rule, ...] = tuple(rule for stage in DECISION_ORDER for rule in stage.rules)

# -------------------------------------------------------------------------------------
# The walk
# -------------------------------------------------------------------------------------

Step = Callable[[Case], DeclassResult | None]
Walk = tuple[Step, ...]


def _any_of(needs: str | tuple[str, ...] | None) -> frozenset[str]:
    return frozenset((needs,) if isinstance(needs, str) else needs or ())


# The table flattened in order, each stage's opening before its rules, each step with
# the facts of which it needs one (none: it is always taken).
STEPS: tuple[tuple[frozenset[str], Step], ...] = tuple(
    (_any_of(needs), step)
    for stage in DECISION_ORDER
    for needs, step in (
        *(((stage.opening_needs, stage.opening),) if stage.opening else ()),
        *((rule.needs, rule.decide) for rule in stage.rules),
    )
)
_LINE_FACTS = tuple(
    dict.fromkeys(fact for needs, _ in STEPS for fact in sorted(needs) if fact not in CALL_FACTS)
)
_line_facts = itemgetter(*(Scan._fields.index(name) for name in _LINE_FACTS))


def walks_for(scan: Scan) -> tuple[tuple[Walk, Walk], tuple[Walk, Walk]]:
    """The steps of the table in order, without those that cannot apply to a cable with
    this DECL line, indexed by the call facts: ``[unclassified][aea_flag]``.

    Depends on the line alone, so the engine memoises it with the line's analysis.
    """
    return _walks(_line_facts(scan))


@lru_cache(maxsize=256)
def _walks(facts: tuple[object, ...]) -> tuple[tuple[Walk, Walk], tuple[Walk, Walk]]:
    # Keyed by the values of the line's facts, of which few combinations occur.
    line = {name for name, value in zip(_LINE_FACTS, facts, strict=True) if value}
    return (
        (_walk(line), _walk(line | {"aea_flag"})),
        (_walk(line | {"unclassified"}), _walk(line | {"unclassified", "aea_flag"})),
    )


def _walk(present: set[str]) -> Walk:
    return tuple(step for needs, step in STEPS if not needs or not needs.isdisjoint(present))

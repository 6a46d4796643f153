"""Overall classification of a cable from its banner and portion marks.

Implements the classification rules, section 2.3 (overall level and its two
flags) and section 1.6 (roll-up of controls into the banner).  Kept apart
from the reader so the algorithm can be checked against the rules' examples.
"""

from __future__ import annotations

from collections.abc import Iterable

from cables.markings import Level, Marking

BANNER_BELOW_PORTION = "BANNER_BELOW_PORTION"
BANNER_ABOVE_PORTIONS = "BANNER_ABOVE_PORTIONS"

_UNCLASSIFIED_ONLY = ("SBU", "LOU", "FOUO", "EFTO", "CUI")


def overall_level(banner: Level | None, portions: Iterable[Level]) -> tuple[Level, list[str]]:
    """Section 2.3, steps 1-6: the level and the flags it raises.

    A banner below a portion is a marking error (the portion wins); a banner
    above every portion is kept (compilation, transmittal or unmarked text).
    """
    computed = max(portions, default=Level.U)
    if banner is None:
        return computed, []
    if banner < computed:
        return computed, [BANNER_BELOW_PORTION]
    if banner > computed:
        return banner, [BANNER_ABOVE_PORTIONS]
    return banner, []


def roll_up(level: Level, controls: Iterable[str]) -> tuple[str, ...]:
    """Section 1.6: combine portion and banner controls into the banner's controls.

    NOFORN beats REL TO; REL TO lists are intersected (no common country left
    means NOFORN); NODIS beats EXDIS; SBU/LOU/FOUO/EFTO (and CUI, read as they are)
    belong only on an unclassified banner, where EXDIS or NODIS beat SBU/FOUO/CUI and
    SBU beats FOUO.
    """
    names = list(dict.fromkeys(c for c in controls if c and c != "REL"))
    rel = [c for c in names if c.startswith("REL TO")]
    kept = [c for c in names if not c.startswith("REL")]
    if rel and "NOFORN" not in kept:
        common = _intersect_rel(rel)
        if common:
            kept.append(common)
        else:
            kept.append("NOFORN")
    if "NODIS" in kept and "EXDIS" in kept:
        kept.remove("EXDIS")
    if level > Level.U:
        kept = [c for c in kept if c not in _UNCLASSIFIED_ONLY]
    else:
        if "NODIS" in kept or "EXDIS" in kept:
            kept = [c for c in kept if c not in ("SBU", "FOUO", "CUI")]
        if "SBU" in kept and "FOUO" in kept:
            kept.remove("FOUO")
    return tuple(kept)


def _intersect_rel(rel: list[str]) -> str | None:
    lists = [[n.strip() for n in c[len("REL TO") :].split(",") if n.strip()] for c in rel]
    common = lists[0]
    for other in lists[1:]:
        wanted = set(other)
        common = [n for n in common if n in wanted]
    if not common:
        return None
    ordered = (["USA"] if "USA" in common else []) + [n for n in common if n != "USA"]
    return "REL TO " + ", ".join(ordered)


def resolve_rel(marking: Marking, banner: Marking) -> Marking:
    """A portion's bare "REL" means "the banner's REL TO list" (CAPCO)."""
    if "REL" not in marking.controls:
        return marking
    banner_rel = [c for c in banner.controls if c.startswith("REL TO")]
    controls = [c for c in marking.controls if c != "REL"] + banner_rel
    return Marking(marking.level, tuple(controls))

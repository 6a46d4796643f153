"""Classification levels and markings as small value types.

Levels and markings are compared everywhere (banner against paragraphs, user
clearance against a paragraph, rule scopes against a cable), so they are never
strings compared by hand.  SBU, LOU and FOUO are *controls* on an unclassified
level (classification rules, section 1.2), but a marking that carries one of
them sorts between plain U and CONFIDENTIAL: U < SBU < C < S < TS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache, total_ordering


class Level(IntEnum):
    """The classification levels, ordered by the damage test (section 1.1)."""

    U = 0
    C = 1
    S = 2
    TS = 3

    @property
    def banner(self) -> str:
        return _BANNERS[self]

    @property
    def short(self) -> str:
        return self.name

    @classmethod
    def from_text(cls, text: str) -> Level:
        """Read a level from a portion letter, a banner word or a spaced banner.

        Raises ``ValueError`` naming the text when it is not a level.
        """
        key = re.sub(r"[\s.]+", "", text).upper()
        try:
            return _LEVEL_WORDS[key]
        except KeyError:
            raise ValueError(f"unknown classification level {text!r}") from None


_BANNERS = {
    Level.U: "UNCLASSIFIED",
    Level.C: "CONFIDENTIAL",
    Level.S: "SECRET",
    Level.TS: "TOP SECRET",
}
_LEVEL_WORDS = {
    "U": Level.U,
    "UNCLAS": Level.U,
    "UNCLASSIFIED": Level.U,
    "C": Level.C,
    "CONFIDENTIAL": Level.C,
    "S": Level.S,
    "SECRET": Level.S,
    "TS": Level.TS,
    "TOPSECRET": Level.TS,
}

# Controls that make an unclassified marking "administratively controlled".
UNCLASSIFIED_CONTROLS = frozenset({"SBU", "LOU", "FOUO", "EFTO", "CUI"})

# Canonical control name -> portion-mark abbreviation (CAPCO where one exists).
_SHORT = {
    "NOFORN": "NF",
    "ORCON": "OC",
    "EXDIS": "XD",
    "NODIS": "ND",
}
# Order in which controls are written in a marking, after the level.
_CONTROL_ORDER = {
    name: i
    for i, name in enumerate(
        [
            "SBU",
            "LOU",
            "FOUO",
            "EFTO",
            "CUI",
            "FGI",
            "ORCON",
            "NOFORN",
            "REL TO",
            "NODIS",
            "EXDIS",
            "LIMDIS",
            "STADIS",
            "RD",
            "FRD",
        ]
    )
}


def _control_sort_key(control: str) -> tuple[int, str]:
    head = "REL TO" if control.startswith("REL") else control.split(" ")[0]
    return (_CONTROL_ORDER.get(head, len(_CONTROL_ORDER)), control)


@total_ordering
@dataclass(frozen=True, slots=True)
class Marking:
    """A level plus the controls that travel with it, e.g. ``S//NF``.

    Ordering compares the level first and then whether an unclassified marking
    is controlled (SBU, LOU, FOUO), which yields U < SBU < C < S < TS.
    Equality compares level and controls.
    """

    level: Level
    controls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(set(self.controls), key=_control_sort_key))
        if ordered != self.controls:
            object.__setattr__(self, "controls", ordered)

    @property
    def rank(self) -> tuple[int, int]:
        controlled = self.level == Level.U and bool(
            UNCLASSIFIED_CONTROLS.intersection(self.controls)
        )
        return (int(self.level), int(controlled))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Marking):
            return NotImplemented
        return self.rank < other.rank

    def __str__(self) -> str:
        parts: list[str] = []
        controls = list(self.controls)
        if self.level == Level.U and controls and controls[0] in UNCLASSIFIED_CONTROLS:
            parts.append(controls.pop(0))
        else:
            parts.append(self.level.short)
        parts.extend(_SHORT.get(c, c) for c in controls)
        return "//".join(parts)

    @property
    def is_classified(self) -> bool:
        return self.level > Level.U

    def with_controls(self, *controls: str) -> Marking:
        return Marking(self.level, self.controls + tuple(controls))

    @classmethod
    def parse(cls, text: str) -> Marking:
        """Parse a portion mark such as ``(S//NF)``, ``SBU/N`` or ``C/REL UK``.

        Raises ``ValueError`` naming the text when it is not a portion mark.
        """
        return _parse_marking(text.strip().strip("()").strip().upper())


_CONTROL_WORDS = {
    "NF": "NOFORN",
    "N": "NOFORN",
    "NOFORN": "NOFORN",
    "NOFORNDIS": "NOFORN",
    "F": "NOFORN",
    "OC": "ORCON",
    "ORCON": "ORCON",
    "XD": "EXDIS",
    "EXDIS": "EXDIS",
    "ND": "NODIS",
    "NODIS": "NODIS",
    "SBU": "SBU",
    "SENSITIVE": "SBU",
    "FOUO": "FOUO",
    "LOU": "LOU",
    "FGI": "FGI",
    "EFTO": "EFTO",
    "CUI": "CUI",  # Controlled Unclassified Information, since 2016 in place of SBU
    "LIMDIS": "LIMDIS",
    "STADIS": "STADIS",
    "RD": "RD",
    "FRD": "FRD",
}
# Words that look like a country code before a level letter and are none: "(REL C)",
# and a reference in parentheses, "(REF C)", which is not foreign government information.
_NOT_FGI_SOURCES = frozenset({"REL", "REF", "REFS", "PARA", "SEE"})
_FGI_SOURCES_RE = re.compile(r"^FGI(?: [A-Z]{3,4})+$")
_REL_RE = re.compile(r"^(?:REL(?:EASABLE)?)(?:\s+TO)?\b\s*(?P<list>.*)$")
# "SBU//NF" too: it is how ``str`` writes SBU NOFORN (CAPCO's separator), so it must read back.
_SBU_RE = re.compile(r"^(?:U\s*//?\s*)?SBU(?:\s*(?://?|[ -])\s*(?:N|NF|NOFORN))?$")
_SPLIT_RE = re.compile(r"\s*//?\s*|\s*-\s*(?=[A-Z])|\s+(?=(?:NF|NOFORN|REL)\b)")


@lru_cache(maxsize=4096)
def _parse_marking(body: str) -> Marking:
    if not body:
        raise ValueError("empty portion mark")
    if _SBU_RE.match(body):
        noforn = re.search(r"[/ -]\s*(?:N|NF|NOFORN)$", body) is not None
        return Marking(Level.U, ("SBU", "NOFORN") if noforn else ("SBU",))
    if body in ("LOU", "FOUO", "U//FOUO", "U/FOUO", "CUI", "U//CUI", "U/CUI"):
        return Marking(Level.U, (body.split("/")[-1],))
    fgi = re.match(r"^(?://)?(?:FGI\s+)?([A-Z]{3,4})[\s-]+(TS|S|C|U)$", body)
    if fgi and fgi.group(1) not in _NOT_FGI_SOURCES:
        # "(FGI-C)" names no country: the control is FGI alone, not "FGI FGI".
        source = "FGI" if fgi.group(1) == "FGI" else f"FGI {fgi.group(1)}"
        return Marking(Level[fgi.group(2)], (source,))
    parts = [p for p in _SPLIT_RE.split(body) if p]
    level_word = parts[0].replace(" ", "")
    try:
        level = Level.from_text(level_word)
    except ValueError:
        raise ValueError(f"unknown portion mark ({body})") from None
    controls: list[str] = []
    rest = parts[1:]
    i = 0
    while i < len(rest):
        token = rest[i].strip(" ,")
        i += 1
        if not token:
            continue
        rel = _REL_RE.match(token)
        if rel:
            items = [rel.group("list")] if rel.group("list") else []
            # A REL list may have been split on "/" (e.g. "REL TO USA/GBR").
            while i < len(rest) and re.fullmatch(r"[A-Z]{2,4}(?:,\s*[A-Z]{2,4})*", rest[i]):
                items.append(rest[i])
                i += 1
            names = [n.strip() for n in ",".join(items).replace(" AND ", ",").split(",")]
            names = [n for n in names if n]
            controls.append("REL TO " + ", ".join(names) if names else "REL")
            continue
        word = _CONTROL_WORDS.get(token.replace(" ", ""))
        if word is None and token[:4] == "FGI " and _FGI_SOURCES_RE.match(token):
            word = token  # "FGI GBR", as ``str`` writes a "(GBR-C)" portion: reads back
        if word is None:
            raise ValueError(f"unknown control {token!r} in portion mark ({body})")
        controls.append(word)
    return Marking(level, tuple(controls))

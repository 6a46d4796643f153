"""FOIA redaction labels (classification-rules.md §5.2): parse, validate, print canonically.

Grammar (case-insensitive, spaces optional)::

    LABEL     := ( EXEMPTION [ BASIS ] ) ( [","] ( EXEMPTION | BASIS ) )*
    EXEMPTION := "(b)(" D ")" [ "(" L ")" ]  |  "B" D [ "(" L ")" ]        D = 1..9, L = A..F
    BASIS     := "1.4(" a-h ")" | "1.5(" a-g ")" | "25X" 1..9 | "3.3(b)(" 1..9 ")"
               | "50X1-HUM" | "50X2-WMD" | STATUTE                      (STATUTE only after (b)(3))

A basis belongs to the exemption written just before it: the executive-order bases only to
(b)(1), a statute only to (b)(3).  ``1.5(x)`` is the E.O. 12958 numbering of the same category
and is stored as ``1.4(x)`` (§3.4), so two labels that mean the same thing compare equal.

The canonical form puts every basis after its exemption, e.g. ``(b)(1) 1.4(b), 1.4(d), (b)(6)``;
it parses back to the same label.  A statute keeps the spelling it was given (spaces collapsed),
since statute citations have no fixed case convention.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Basis", "Exemption", "ExemptionLabel", "LabelError", "parse_label"]


class LabelError(ValueError):
    """A redaction label that does not follow §5.2; the message says what and where."""


_SUBS = "ABCDEF"
_KIND_RANK = {"1.4": 0, "3.3(b)": 1, "25X": 2, "50X": 3, "statute": 4}


@functools.total_ordering
@dataclass(frozen=True)
class Exemption:
    """One FOIA exemption, 5 U.S.C. 552(b)(number), with an optional sub-paragraph letter."""

    number: int
    sub: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 9:
            raise LabelError(f"exemption number must be 1 to 9, got {self.number}")
        if self.sub is not None and self.sub not in _SUBS:
            raise LabelError(f"exemption sub-paragraph must be one of A to F, got {self.sub!r}")

    def __str__(self) -> str:
        return f"(b)({self.number})" + (f"({self.sub})" if self.sub else "")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Exemption):
            return NotImplemented
        return (self.number, self.sub or "") < (other.number, other.sub or "")


@functools.total_ordering
@dataclass(frozen=True)
class Basis:
    """Why an exemption applies: an E.O. category/exemption code, or (for (b)(3)) a statute."""

    kind: str  # "1.4", "3.3(b)", "25X", "50X" or "statute"
    code: str  # canonical text: "1.4(d)", "3.3(b)(1)", "25X1", "50X1-HUM", "50 U.S.C. 3024(i)"

    def __post_init__(self) -> None:
        if self.kind not in _KIND_RANK:
            raise LabelError(f"unknown basis kind {self.kind!r}")
        if not self.code.strip():
            raise LabelError("a basis cannot be empty")

    def __str__(self) -> str:
        return self.code

    @property
    def is_statute(self) -> bool:
        return self.kind == "statute"

    def _key(self) -> tuple[int, str]:
        return (_KIND_RANK[self.kind], self.code.upper() if self.is_statute else self.code)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Basis):
            return NotImplemented
        return (self._key(), self.code) < (other._key(), other.code)


@functools.total_ordering
@dataclass(frozen=True)
class ExemptionLabel:
    """A validated label: its exemptions and their bases, both sorted and without duplicates."""

    exemptions: tuple[Exemption, ...]
    bases: tuple[Basis, ...] = ()

    def __post_init__(self) -> None:
        exemptions = tuple(sorted(set(self.exemptions)))
        bases = tuple(sorted(set(self.bases)))
        if not exemptions:
            raise LabelError("a label needs at least one exemption, e.g. (b)(6) or B6")
        numbers = {e.number for e in exemptions}
        for basis in bases:
            owner = 3 if basis.is_statute else 1
            if owner not in numbers:
                raise LabelError(
                    f"basis {basis} is only valid with (b)({owner}), which this label does not have"
                )
        object.__setattr__(self, "exemptions", exemptions)
        object.__setattr__(self, "bases", bases)

    def __str__(self) -> str:
        parts = []
        for exemption in self.exemptions:
            attached = self._attached_to(exemption)
            parts.append(
                f"{exemption} {', '.join(map(str, attached))}" if attached else str(exemption)
            )
        return ", ".join(parts)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ExemptionLabel):
            return NotImplemented
        return (self.exemptions, self.bases) < (other.exemptions, other.bases)

    def _attached_to(self, exemption: Exemption) -> tuple[Basis, ...]:
        """Bases print after the first exemption they can belong to, so parsing round-trips."""
        first_with_number = next(e for e in self.exemptions if e.number == exemption.number)
        if exemption != first_with_number or exemption.number not in (1, 3):
            return ()
        return tuple(b for b in self.bases if b.is_statute == (exemption.number == 3))

    @property
    def numbers(self) -> frozenset[int]:
        return frozenset(e.number for e in self.exemptions)

    @property
    def statutes(self) -> tuple[Basis, ...]:
        return tuple(b for b in self.bases if b.is_statute)

    @property
    def eo_bases(self) -> tuple[Basis, ...]:
        return tuple(b for b in self.bases if not b.is_statute)

    def b_form(self) -> str:
        """State's stamp spelling, as in ``RELEASE IN PART B1, 1.4(D), B6``."""
        parts = []
        for exemption in self.exemptions:
            parts.append(f"B{exemption.number}" + (f"({exemption.sub})" if exemption.sub else ""))
            parts.extend(
                b.code.upper() if b.kind == "1.4" else b.code for b in self._attached_to(exemption)
            )
        return ", ".join(parts)


def parse_label(text: str) -> ExemptionLabel:
    """Parse a §5.2 label such as ``B1, 1.4(D)`` or ``(b)(3) 50 U.S.C. 3024(i)``."""
    if not isinstance(text, str):
        raise LabelError(f"a label must be text, got {type(text).__name__}")
    if not text.strip():
        raise LabelError("the label is empty: expected an exemption such as (b)(6) or B6")
    return _Parser(text).parse()


def labels_union(labels: Iterable[ExemptionLabel]) -> ExemptionLabel:
    """One label carrying every exemption and basis of the given ones (for a release stamp)."""
    labels = list(labels)
    if not labels:
        raise LabelError("cannot combine zero labels")
    return ExemptionLabel(
        tuple(e for lab in labels for e in lab.exemptions),
        tuple(b for lab in labels for b in lab.bases),
    )


# Token patterns, tried at the current position.  Every one allows spaces between its parts.
_I = re.IGNORECASE
_EXEMPTION_PAREN = re.compile(r"\(\s*b\s*\)\s*\(\s*(\d+)\s*\)(?:\s*\(\s*([a-z])\s*\))?", _I)
_EXEMPTION_B = re.compile(r"b\s*(\d+)(?:\s*\(\s*([a-z])\s*\))?", _I)
_BASIS_SECTION = re.compile(r"1\s*\.\s*([0-9])\s*\(\s*([a-z])\s*\)", _I)
_BASIS_25X = re.compile(r"25\s*x\s*(\d+)", _I)
_BASIS_33B = re.compile(r"3\s*\.\s*3\s*\(\s*b\s*\)\s*\(\s*(\d+)\s*\)", _I)
_BASIS_50X = re.compile(r"50\s*x\s*([12])\s*-\s*(hum|wmd)", _I)
# Where a statute citation stops: a comma, or another exemption standing on its own (after a
# space); "(b)(2)" glued to a section number, as in "26 U.S.C. 6103(b)(2)", is part of it.
_STATUTE_END = re.compile(r",|(?<![^\s,])(?:\(\s*b\s*\)\s*\(|b\s*\d(?![0-9.]))", _I)
_SPACES = re.compile(r"\s+")

_EXPECTED = (
    "expected an exemption such as (b)(6) or B6, or a basis such as 1.4(d), 25X1, "
    "3.3(b)(1) or 50X1-HUM"
)


class _Parser:
    """A left-to-right scanner: each step reads one exemption, basis or statute."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.exemptions: list[Exemption] = []
        self.bases: list[Basis] = []

    def parse(self) -> ExemptionLabel:
        self._skip_spaces()
        while self.pos < len(self.text):
            self._read_item()
            self._skip_separator()
        return ExemptionLabel(tuple(self.exemptions), tuple(self.bases))

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _skip_separator(self) -> None:
        self._skip_spaces()
        if self.pos < len(self.text) and self.text[self.pos] == ",":
            self.pos += 1
            self._skip_spaces()
            if self.pos >= len(self.text):
                raise LabelError(f"trailing comma at position {self.pos - 1} of {self.text!r}")
            if self.text[self.pos] == ",":
                raise LabelError(f"two commas in a row at position {self.pos} of {self.text!r}")

    def _read_item(self) -> None:
        if self.text[self.pos] == ",":
            raise LabelError(f"a label cannot start with a comma: {self.text!r}")
        exemption = self._match_exemption()
        if exemption is not None:
            self.exemptions.append(exemption)
            return
        basis = self._match_basis()
        if basis is not None:
            self._attach(basis)
            return
        self._read_statute()

    def _match(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        match = pattern.match(self.text, self.pos)
        if match is not None:
            self.pos = match.end()
        return match

    def _match_exemption(self) -> Exemption | None:
        start = self.pos
        match = self._match(_EXEMPTION_PAREN) or self._match(_EXEMPTION_B)
        if match is None:
            return None
        number, sub = int(match.group(1)), match.group(2)
        if not 1 <= number <= 9:
            raise LabelError(
                f"exemption {match.group(0)!r} at position {start}: the number "
                f"must be 1 to 9 (5 U.S.C. 552(b)(1)-(9)), got {number}"
            )
        if sub is not None and sub.upper() not in _SUBS:
            raise LabelError(
                f"exemption {match.group(0)!r} at position {start}: the "
                f"sub-paragraph must be one of (A) to (F), got ({sub})"
            )
        return Exemption(number, sub.upper() if sub else None)

    def _match_basis(self) -> Basis | None:
        start = self.pos
        if match := self._match(_BASIS_33B):
            return Basis("3.3(b)", f"3.3(b)({_digit_1_9(match, start, '3.3(b)')})")
        if match := self._match(_BASIS_SECTION):
            return _section_basis(match, start)
        if match := self._match(_BASIS_25X):
            return Basis("25X", f"25X{_digit_1_9(match, start, '25X')}")
        if match := self._match(_BASIS_50X):
            return Basis("50X", f"50X{match.group(1)}-{match.group(2).upper()}")
        return None

    def _attach(self, basis: Basis) -> None:
        if not self.exemptions:
            raise LabelError(
                f"basis {basis} comes before any exemption in {self.text!r}: a "
                f"label must start with an exemption such as (b)(1) or B1"
            )
        owner = self.exemptions[-1]
        if owner.number != 1:
            raise LabelError(
                f"basis {basis} is only valid attached to (b)(1), but it follows "
                f"{owner} in {self.text!r}"
            )
        self.bases.append(basis)

    def _read_statute(self) -> None:
        start = self.pos
        if not self.exemptions or self.exemptions[-1].number != 3:
            snippet = self.text[start : start + 20]
            after = f" (after {self.exemptions[-1]})" if self.exemptions else ""
            raise LabelError(
                f"unrecognised text {snippet!r} at position {start} of "
                f"{self.text!r}{after}: {_EXPECTED}; free text such as a statute "
                f"citation is only allowed right after (b)(3)"
            )
        end_match = _STATUTE_END.search(self.text, start)
        end = end_match.start() if end_match else len(self.text)
        statute = _SPACES.sub(" ", self.text[start:end]).strip()
        if not statute:  # pragma: no cover - the caller only gets here on non-space text
            raise LabelError(f"empty statute citation at position {start} of {self.text!r}")
        self.pos = end
        self.bases.append(Basis("statute", statute))


def _digit_1_9(match: re.Match[str], start: int, kind: str) -> int:
    value = int(match.group(1))
    if not 1 <= value <= 9:
        raise LabelError(
            f"basis {match.group(0)!r} at position {start}: {kind} takes a "
            f"number from 1 to 9, got {value}"
        )
    return value


def _section_basis(match: re.Match[str], start: int) -> Basis:
    """``1.4(x)`` (a-h) or the old ``1.5(x)`` (a-g), both stored as ``1.4(x)``."""
    section, letter = match.group(1), match.group(2).lower()
    if section not in ("4", "5"):
        raise LabelError(
            f"basis {match.group(0)!r} at position {start}: the classification "
            f"category is written 1.4(a)-(h), or 1.5(a)-(g) in E.O. 12958 "
            f"numbering"
        )
    last = "h" if section == "4" else "g"
    if not "a" <= letter <= last:
        note = " (E.O. 12958 §1.5 had no category (h))" if section == "5" and letter == "h" else ""
        raise LabelError(
            f"basis {match.group(0)!r} at position {start}: 1.{section} takes a "
            f"letter from (a) to ({last}), got ({letter}){note}"
        )
    return Basis("1.4", f"1.4({letter})")

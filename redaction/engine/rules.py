"""Redaction rule specs, as an admin configures them, and the checks run before one is saved.

Four kinds, all frozen dataclasses sharing ``id``, ``version``, ``label``, ``action`` and
``priority`` (keyword-only, so a spec reads like the admin form):

* :class:`TermListRule`: whole-word, case-insensitive terms (see :mod:`.terms` for exactly
  what matches); thousands per rule are fine.
* :class:`RegexRule`: a regex that RE2 runs, never a backtracking engine, so no pattern can
  take more than linear time (:mod:`.rule_regex` says which syntax and what it means):
  ``\\w``, ``\\d``, ``\\s`` and ``\\b`` only know ASCII letters, digits and spaces.  Rule
  regexes describe identifiers (reference ids, date-time groups, phone numbers), where ASCII
  is what is meant.  Non-ASCII characters written in the pattern still match themselves.
* :class:`PersonalDataRule`: the built-in (b)(6) patterns of :mod:`.personal_data`, run by
  RE2 like any rule regex.
* :class:`MarkingRule`: no text matching; withholds (or flags) whole paragraphs at or above a
  classification level or carrying a control such as NOFORN.

Actions: ``redact`` removes the matched text, ``withhold`` withholds the whole paragraph when
the rule matches, ``flag`` sends the paragraph (and the span) to a reviewer without redacting.
``priority`` orders the reasons shown to a reviewer (higher first); it never shrinks a
redaction: what any rule redacts stays redacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .labels import ExemptionLabel, LabelError, parse_label
from .personal_data import PERSONAL_DATA_KINDS, personal_data_pattern
from .rule_regex import compile_rule_regex, regex_problems
from .terms import normalize_term, rule_pattern

__all__ = [
    "ACTIONS",
    "CONTROL_ALIASES",
    "LEVELS",
    "MarkingRule",
    "PersonalDataRule",
    "RegexRule",
    "RuleError",
    "RuleSpec",
    "TermListRule",
    "TextRule",
    "compile_reference_pattern",
    "normalize_control",
    "rule_regex",
    "validate_rule",
]

Action = Literal["redact", "withhold", "flag"]
ACTIONS: tuple[str, ...] = ("redact", "withhold", "flag")
LEVELS: dict[str, int] = {"U": 0, "C": 1, "S": 2, "TS": 3}
CONTROL_ALIASES: dict[str, str] = {
    "NF": "NOFORN",
    "OC": "ORCON",
    "ND": "NODIS",
    "XD": "EXDIS",
    "REL": "REL TO",
}
_MAX_BAD_TERMS_SHOWN = 5


class RuleError(ValueError):
    """A rule that must not be saved; ``problems`` lists every reason, the message joins them."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, kw_only=True)
class _Rule:
    id: int
    version: int
    label: ExemptionLabel | str
    action: Action = "redact"
    priority: int = 0

    def __post_init__(self) -> None:
        # A label typed as text is parsed here when it can be; an unparseable one is kept as
        # text so that validate_rule can say what is wrong with it.
        if isinstance(self.label, str):
            try:
                object.__setattr__(self, "label", parse_label(self.label))
            except LabelError:
                pass

    @property
    def key(self) -> tuple[int, int]:
        return (self.id, self.version)


@dataclass(frozen=True, kw_only=True)
class TermListRule(_Rule):
    terms: tuple[str, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.terms, list | set | frozenset):
            object.__setattr__(self, "terms", tuple(self.terms))


@dataclass(frozen=True, kw_only=True)
class RegexRule(_Rule):
    pattern: str


def _default_personal_label() -> ExemptionLabel:
    return parse_label("(b)(6)")


@dataclass(frozen=True, kw_only=True)
class PersonalDataRule(_Rule):
    label: ExemptionLabel | str = field(default_factory=_default_personal_label)
    kinds: tuple[str, ...] = PERSONAL_DATA_KINDS

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.kinds, list | set | frozenset):
            object.__setattr__(self, "kinds", tuple(self.kinds))

    @property
    def pattern(self) -> str:
        return personal_data_pattern(self.kinds)


@dataclass(frozen=True, kw_only=True)
class MarkingRule(_Rule):
    action: Action = "withhold"
    min_level: int | None = None
    controls: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        super().__post_init__()
        controls = self.controls
        if not isinstance(controls, str) and all(isinstance(c, str) for c in controls):
            object.__setattr__(self, "controls", frozenset(map(normalize_control, controls)))

    def applies(self, level: int, controls: Iterable[str]) -> bool:
        """At or above ``min_level``, or carrying one of ``controls`` (after aliases)."""
        if self.min_level is not None and level >= self.min_level:
            return True
        return bool(self.controls & {normalize_control(c) for c in controls})


TextRule = TermListRule | RegexRule | PersonalDataRule
RuleSpec = TextRule | MarkingRule


def normalize_control(control: str) -> str:
    """``nf`` -> ``NOFORN``, ``REL TO USA, GBR`` -> ``REL TO``: one spelling per control."""
    text = " ".join(control.upper().split())
    if text.startswith("REL TO") or text == "REL":
        return "REL TO"
    return CONTROL_ALIASES.get(text, text)


def rule_regex(spec: TextRule) -> str:
    """The source that defines what a text rule matches.

    For a term list, a Python ``re`` pattern written here (:func:`.terms.rule_pattern`: its
    lookarounds keep it off RE2, and it cannot backtrack badly: alternatives of fixed words);
    for a regex or personal-data rule, the RE2 pattern (:mod:`.rule_regex`).
    """
    if isinstance(spec, TermListRule):
        return rule_pattern(spec.terms)
    return spec.pattern


def compile_reference_pattern(spec: TextRule) -> re.Pattern[str] | Any:
    """The rule's reference pattern: Python's ``re`` for term lists (our own pattern, Unicode
    mode), RE2 for rule regexes and personal data (never a backtracking engine)."""
    if isinstance(spec, TermListRule):
        return re.compile(rule_pattern(spec.terms))
    return compile_rule_regex(spec.pattern)


def validate_rule(spec: RuleSpec) -> None:
    """Refuse a rule that cannot be saved, listing every problem in one :class:`RuleError`."""
    if not isinstance(spec, TermListRule | RegexRule | PersonalDataRule | MarkingRule):
        raise RuleError([f"not a rule spec: {type(spec).__name__}"])
    problems = _common_problems(spec) + _kind_problems(spec)
    if problems:
        prefix = f"rule {spec.id!r} v{spec.version!r}: "
        raise RuleError(prefix + p for p in problems)


def _common_problems(spec: RuleSpec) -> list[str]:
    problems = []
    for name in ("id", "version"):
        value = getattr(spec, name)
        if not _is_int(value) or value < 1:
            problems.append(f"{name} must be a positive integer, got {value!r}")
    if not _is_int(spec.priority):
        problems.append(f"priority must be an integer, got {spec.priority!r}")
    if spec.action not in ACTIONS:
        problems.append(f"action must be one of {', '.join(ACTIONS)}, got {spec.action!r}")
    problems.extend(_label_problems(spec.label))
    return problems


def _label_problems(label: ExemptionLabel | str) -> list[str]:
    """Beyond the grammar: each withholding must name its reason (32 CFR 2001.33(h))."""
    if isinstance(label, str):
        try:
            parse_label(label)
        except LabelError as exc:
            return [f"unknown exemption label {label!r}: {exc}"]
    if not isinstance(label, ExemptionLabel):
        return [f"label must be an exemption label such as (b)(6), got {label!r}"]
    problems = []
    if 1 in label.numbers and not label.eo_bases:
        problems.append(
            f"label {label} uses (b)(1) without a classification basis: add the "
            f"category or exemption, e.g. (b)(1) 1.4(d) or (b)(1) 25X1"
        )
    if 3 in label.numbers and not label.statutes:
        problems.append(
            f"label {label} uses (b)(3) without naming the statute, e.g. (b)(3) 50 U.S.C. 3024(i)"
        )
    return problems


def _kind_problems(spec: RuleSpec) -> list[str]:
    if isinstance(spec, TermListRule):
        return _term_problems(spec.terms)
    if isinstance(spec, RegexRule):
        return _regex_problems(spec.pattern)
    if isinstance(spec, PersonalDataRule):
        return _personal_data_problems(spec)
    return _marking_problems(spec)


def _term_problems(terms: object) -> list[str]:
    if isinstance(terms, str) or not isinstance(terms, tuple):
        return [f"terms must be a list of strings, got {type(terms).__name__}"]
    if not terms:
        return ["the term list is empty: add at least one term"]
    not_text = [i for i, t in enumerate(terms) if not isinstance(t, str)]
    if not_text:
        return [f"terms must be strings; item(s) {_positions(not_text)} are not"]
    blank = [i for i, t in enumerate(terms) if not normalize_term(t)]
    if blank:
        return [
            f"empty or whitespace-only term at position(s) {_positions(blank)} (counting from 0)"
        ]
    return []


def _regex_problems(pattern: object) -> list[str]:
    if not isinstance(pattern, str) or not pattern:
        return ["the regex is empty"]
    return [f"regex {pattern!r} {problem}" for problem in regex_problems(pattern)]


def _personal_data_problems(spec: PersonalDataRule) -> list[str]:
    problems = []
    unknown = [k for k in spec.kinds if k not in PERSONAL_DATA_KINDS]
    if unknown:
        problems.append(
            f"unknown personal-data kind(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(PERSONAL_DATA_KINDS)}"
        )
    elif not spec.kinds:
        problems.append("choose at least one personal-data kind: " + ", ".join(PERSONAL_DATA_KINDS))
    label = spec.label
    if isinstance(label, ExemptionLabel) and not _is_privacy_label(label):
        problems.append(
            f"personal-data rules protect privacy: the label must include (b)(6) "
            f"or (b)(7)(C), got {label}"
        )
    return problems


def _is_privacy_label(label: ExemptionLabel) -> bool:
    return any(e.number == 6 or (e.number == 7 and e.sub == "C") for e in label.exemptions)


def _marking_problems(spec: MarkingRule) -> list[str]:
    problems = []
    if spec.action == "redact":
        problems.append("a marking rule has no text span to redact: use withhold or flag")
    if spec.min_level is not None and (not _is_int(spec.min_level) or not 0 <= spec.min_level <= 3):
        problems.append(f"min_level must be 0 (U), 1 (C), 2 (S) or 3 (TS), got {spec.min_level!r}")
    if isinstance(spec.controls, str) or not all(isinstance(c, str) for c in spec.controls):
        problems.append("controls must be a set of marking names such as NOFORN or ORCON")
    elif spec.min_level is None and not spec.controls:
        problems.append("a marking rule needs a minimum level, a control, or both")
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positions(indexes: list[int]) -> str:
    shown = ", ".join(map(str, indexes[:_MAX_BAD_TERMS_SHOWN]))
    more = len(indexes) - _MAX_BAD_TERMS_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")

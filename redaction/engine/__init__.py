"""Redaction proposals for cable paragraphs: labels, rules, one fast matcher, merged spans.

Pure Python (no Django): the workflow app stores rule specs and calls in here.

    from redaction.engine import compile_rules, parse_label, propose, TermListRule

    matcher = compile_rules([TermListRule(id=1, version=1, label="(b)(6)", terms=("Doe",))])
    proposal = propose("Ambassador Jane Doe said", 1, [], matcher)

The matcher needs hyperscan and google-re2 (in requirements.txt); labels and rules do not,
so they are imported eagerly and the matcher only when first used.  Validating a rule regex
compiles it with RE2 and, where hyperscan is installed, with hyperscan: no backtracking
engine ever runs an admin's regex (see :mod:`.rule_regex`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .hit import Hit
from .labels import Basis, Exemption, ExemptionLabel, LabelError, parse_label
from .rules import (
    MarkingRule,
    PersonalDataRule,
    RegexRule,
    RuleError,
    RuleSpec,
    TermListRule,
    validate_rule,
)
from .spans import MergedSpan, Proposal, merge_spans, propose, propose_many

if TYPE_CHECKING:
    from .matcher import Matcher, compile_rules
    from .oracle import Oracle

__all__ = [
    "Basis",
    "Exemption",
    "ExemptionLabel",
    "Hit",
    "LabelError",
    "MarkingRule",
    "Matcher",
    "MergedSpan",
    "Oracle",
    "PersonalDataRule",
    "Proposal",
    "RegexRule",
    "RuleError",
    "RuleSpec",
    "TermListRule",
    "compile_rules",
    "merge_spans",
    "parse_label",
    "propose",
    "propose_many",
    "validate_rule",
]

_LAZY = {"Matcher": "matcher", "compile_rules": "matcher", "Oracle": "oracle"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The correctness reference: one pattern per rule, ``finditer`` over the text, nothing clever.

It defines the matching semantics the fast engine must reproduce exactly (same hits, same
order): per rule, leftmost-first non-overlapping matches.  Rule regexes and personal-data
patterns run on RE2, as in the engine (a backtracking engine never runs an admin's pattern,
not even here: see :mod:`.rule_regex`); term lists are our own Python ``re`` patterns, a
longest-first alternation so that leftmost-first is also leftmost-longest (see :mod:`.terms`).
It is far too slow for production (every rule walks the whole text) and that is the point:
there is nothing in it to get wrong.  Only the tests and ``bench/redaction.py`` use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .hit import Hit
from .rules import MarkingRule, RuleSpec, TextRule, compile_reference_pattern, validate_rule

__all__ = ["Oracle"]


class Oracle:
    """Scans with one compiled pattern per text rule (``re`` for term lists, else RE2)."""

    def __init__(self, specs: Iterable[RuleSpec]) -> None:
        self.rules: list[tuple[TextRule, Any]] = []
        for spec in specs:
            validate_rule(spec)
            if not isinstance(spec, MarkingRule):
                self.rules.append((spec, compile_reference_pattern(spec)))

    def scan(self, text: str) -> list[Hit]:
        """Every rule's matches, sorted by (start, end, rule_id)."""
        hits = [
            Hit(m.start(), m.end(), spec.id, spec.version, spec.label, spec.action)
            for spec, pattern in self.rules
            for m in pattern.finditer(text)
        ]
        hits.sort(key=lambda h: (h.start, h.end, h.rule_id))
        return hits

"""The correctness reference: one plain ``re`` pattern per rule, ``re.finditer``, nothing clever.

It defines the matching semantics the fast engine must reproduce exactly (same hits, same
order): per rule, Python's leftmost-first non-overlapping matches; term lists are written as a
longest-first alternation so that leftmost-first is also leftmost-longest (see :mod:`.terms`).
It is far too slow for production (every rule walks the whole text) and that is the point:
there is nothing in it to get wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .hit import Hit
from .rules import MarkingRule, RuleSpec, TextRule, compile_reference_pattern, validate_rule

__all__ = ["Oracle"]


class Oracle:
    """Scans with one compiled ``re`` pattern per text rule."""

    def __init__(self, specs: Iterable[RuleSpec]) -> None:
        self.rules: list[tuple[TextRule, re.Pattern[str]]] = []
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

"""The unit both matchers produce: one rule matching one span of a paragraph."""

from __future__ import annotations

from typing import NamedTuple

from .labels import ExemptionLabel

__all__ = ["Hit"]


class Hit(NamedTuple):
    """``text[start:end]`` (character offsets, end exclusive) matched rule ``rule_id``."""

    start: int
    end: int
    rule_id: int
    rule_version: int
    label: ExemptionLabel
    action: str

    @property
    def rule_key(self) -> tuple[int, int]:
        return (self.rule_id, self.rule_version)

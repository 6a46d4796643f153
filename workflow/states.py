"""The review workflow's states and the moves allowed between them (rules, section 6).

The table is data; ``cable_transition`` (in ``workflow.review``) is the one
function that moves a cable, and the due sweep moves cables only along the
edges into DUE that this table allows: those of cables that wait for someone.
"""

from __future__ import annotations

from workflow.models import ReviewState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.INGESTED: frozenset({S.DUE, S.IN_REVIEW}),
    S.DUE: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.REVIEWED}),
    S.REVIEWED: frozenset({S.APPROVED, S.RETURNED}),
    S.APPROVED: frozenset({S.RELEASED, S.RETURNED}),
    S.RETURNED: frozenset({S.IN_REVIEW, S.DUE}),
    # A released cable is never pulled back to due (its release stays published): when
    # a date that dated it comes due, the sweep opens a re-review round
    # (``workflow.rounds``), and only within an open round may its review start again,
    # by a reviewer's first decision in the round (``workflow.review`` guards it).
    # Reviewed and approved cables are in front of a person: the sweep leaves them.
    S.RELEASED: frozenset({S.IN_REVIEW}),
}

# The states the due sweep may move a cable out of (every edge into DUE): cables that
# wait for someone, never one a person holds or one released.
SWEEPABLE: tuple[str, ...] = tuple(
    sorted(state for state, targets in TRANSITIONS.items() if S.DUE in targets)
)

# Moves that need the cable's re-review round to be open.
NEEDS_OPEN_ROUND: frozenset[tuple[str, str]] = frozenset({(S.RELEASED, S.IN_REVIEW)})


class TransitionError(Exception):
    """A move the table or a guard does not allow; the message says which and why."""


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())

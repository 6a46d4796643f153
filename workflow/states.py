"""The review workflow's states and the moves allowed between them (rules, section 6).

The table is data; ``cable_transition`` (in ``workflow.review``) is the one
function that moves a cable, and the due sweep moves cables only along the
edges into DUE that this table allows.
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
    # A released cable comes back only when a new date is due for it (an exemption
    # that dated it runs out): publishing marks its current date as handled.
    # Reviewed and approved cables are in front of a person: the sweep leaves them.
    S.RELEASED: frozenset({S.DUE}),
}

# The states the due sweep may move a cable out of (every edge into DUE).
SWEEPABLE: tuple[str, ...] = tuple(
    sorted(state for state, targets in TRANSITIONS.items() if S.DUE in targets)
)


class TransitionError(Exception):
    """A move the table or a guard does not allow; the message says which and why."""


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())

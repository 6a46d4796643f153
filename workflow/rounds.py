"""Re-review rounds of released cables (``ReviewRound``), and what each sweep flagged.

A released cable is never pulled back to *due*: when a date that dated it comes due
after its release (a 25X/50X/75X exemption runs out), the due sweep opens a review
round (``workflow.sweep``, in its one statement) and leaves the state alone.  The
round puts the cable in its reviewers' queue (the queue index counts a released cable
with an open round as waiting), a reviewer's first decision in it starts the review
again (``workflow.review.decision_record``), every decision carries the round's
number, and the publication of the round's release closes it
(``releases.services``).  The first review is round 1 and has no row.

This module only reads and closes rounds: it must not import ``workflow.review`` or
``workflow.sweep``, which use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from audit.models import AuditEvent
from cables.models import Cable
from workflow import access, permissions
from workflow.models import ReviewRound, SweepRun

# The exemption codes that date a cable (classification rules, section 4.6 and the
# markings table): 25X1-human (legacy), 50X1-HUM, 50X2-WMD, 25X1..9, 50X1..9, 75X[1..9].
EXEMPTION = re.compile(r"\b(25X1-HUMAN|50X[12]-(?:HUM|WMD)|25X[1-9]|50X[1-9]|75X[1-9]?)\b")
# The same in PostgreSQL's regular expressions (for the sweep's statement, on UPPER(decl)):
# ``substring`` returns the first group, so the whole code is the first group.
EXEMPTION_SQL = r"\y((25X1-HUMAN|50X[12]-(HUM|WMD)|25X[1-9]|50X[1-9]|75X[1-9]?))\y"


def exemption_of(decl: str) -> str:
    """The exemption code a declassification instruction names ("" for none)."""
    found = EXEMPTION.search(decl.upper())
    return found.group(1) if found else ""


def open_round(cable_id: int) -> ReviewRound | None:
    """The cable's open re-review round, if it has one (one indexed lookup)."""
    return ReviewRound.objects.filter(cable_id=cable_id, closed_at__isnull=True).first()


def open_round_number() -> Subquery:
    """The open round's number of the cable of the outer query (None: no round open),
    for a page that shows "re-review, round N" without a query of its own."""
    return Subquery(
        ReviewRound.objects.filter(cable_id=OuterRef("pk"), closed_at__isnull=True).values(
            "number"
        )[:1]
    )


def round_number(cable_id: int) -> int:
    """The round a decision taken now on the cable belongs to: the open round's
    number, else 1 (a cable without an open round is in its first review)."""
    current = open_round(cable_id)
    return current.number if current is not None else 1


def round_close(*, cable_id: int, version: int, at: datetime) -> ReviewRound | None:
    """Close the cable's open round as its release ``version`` is published (in the
    publication's transaction); return it, or None when the cable had none open
    (a first release)."""
    current = ReviewRound.objects.select_for_update().filter(
        cable_id=cable_id, closed_at__isnull=True
    )
    found = current.first()
    if found is None:
        return None
    current.update(closed_at=at, release_version=version)
    found.closed_at, found.release_version = at, version
    return found


# -- what the queue shows -----------------------------------------------------------------


def queue_marks(cable_ids: list[int]) -> dict[int, str]:
    """For the queue page's cables (one query): the open re-review rounds, as the row
    shows them, e.g. "re-review, round 2: the 25X1 exemption that dated it ends ...".

    Reasons name dates, rules and exemption codes only, never cable text.
    """
    if not cable_ids:
        return {}
    return {
        r.cable_id: f"re-review, round {r.number}: {r.reason}"
        for r in ReviewRound.objects.filter(cable_id__in=cable_ids, closed_at__isnull=True)
    }


# -- what a sweep flagged -----------------------------------------------------------------


@dataclass(frozen=True)
class RunFlagged:
    """What one sweep run flagged, as a given user may see it: the reference ids of
    the cables they may view (moved to due, and released cables given a new round,
    with the round and why), and how many others there were."""

    due: list[str]
    rounds: list[tuple[str, int, str]]
    hidden: int

    @property
    def total(self) -> int:
        return len(self.due) + len(self.rounds) + self.hidden


def run_event(run: SweepRun) -> AuditEvent | None:
    """The run's audit entry (the sweep writes one when it flagged anything)."""
    return AuditEvent.objects.filter(
        action="sweep.flagged", object_type="SweepRun", object_id=str(run.pk)
    ).first()


def run_flagged(user: Any, run: SweepRun) -> RunFlagged:
    """The cables the run flagged, from its audit entry (the record), limited to the
    cables the user may view (``workflow.access``): a reference id of a cable outside
    one's grants is counted, not named."""
    event = run_event(run)
    after = (event.after or {}) if event is not None else {}
    due_refs = [str(r) for r in after.get("cables", [])]
    round_items = [
        (str(r["cable"]), int(r["round"]), str(r["reason"])) for r in after.get("rounds", [])
    ]
    wanted = {*due_refs, *(ref for ref, _, _ in round_items)}
    named = _readable(user, Cable.objects.filter(reference_id__in=wanted)) if wanted else None
    visible = set(named.values_list("reference_id", flat=True)) if named is not None else set()
    due = [ref for ref in due_refs if ref in visible]
    rounds = [item for item in round_items if item[0] in visible]
    return RunFlagged(due, rounds, len(due_refs) + len(round_items) - len(due) - len(rounds))


def _readable(user: Any, cables: QuerySet[Cable]) -> QuerySet[Cable]:
    return access.readable_cables(
        user, permissions.VIEW, permissions.REVIEW, permissions.RELEASE, queryset=cables
    )

"""Re-review rounds of released cables (``ReviewRound``), and what each sweep flagged.

A released cable is never pulled back to *due*: when a date that dated it comes due
after its release (a 25X/50X/75X exemption runs out), the due sweep opens a review
round (``workflow.sweep``, in its one statement) and leaves the state alone.  The
round puts the cable in its reviewers' queue (the queue index counts a released cable
with an open round as waiting), a reviewer's first decision in it starts the review
again (``workflow.review.decision_record``), every decision carries the round's
number, and the publication of the round's release closes it
(``releases.services``).  The first review is round 1 and has no row.

A round is also opened when another cable's release is published withholding text
this cable's current release published (``releases.recheck``, through
``round_withdraw``): it withdraws that release (``releases.selectors.current``) until
the round's release is published.

This module reads rounds, closes them and opens the withdrawing ones: it must not
import ``workflow.review`` or ``workflow.sweep``, which use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery

from audit.models import AuditEvent
from cables.models import Cable, Paragraph
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


@dataclass(frozen=True)
class Withdrawal:
    """What ``round_withdraw`` did: the round that now withdraws the release, and
    whether it opened it (``opened``) or extended the open one (``extended``); neither
    when a round already withdrew that release (nothing was recorded)."""

    round: ReviewRound
    opened: bool = False
    extended: bool = False

    @property
    def recorded(self) -> bool:
        return self.opened or self.extended


def round_withdraw(
    *,
    cable_id: int,
    release_id: int,
    withheld_in_id: int,
    withheld_release_id: int,
    withheld_paragraphs: list[int],
    at: datetime,
) -> Withdrawal:
    """Withdraw the cable's release ``release_id`` for re-review, because the release
    ``withheld_release_id`` of cable ``withheld_in_id`` withholds text it published (in
    that cable's paragraphs ``withheld_paragraphs``).  Runs in the caller's transaction,
    which holds the cable's status row locked.

    At most one round of a cable is open: with none open, round N+1 is opened; with a
    round open that does not withdraw yet (a date's round: the release would go on
    being served while it lasts), that round is extended with the withdrawal and keeps
    its number and date; with a round that withdraws already, nothing changes (the
    release is not served, its reviewers are at it, and the review page shows every
    conflict with other cables, this one included).
    """
    current = ReviewRound.objects.select_for_update().filter(
        cable_id=cable_id, closed_at__isnull=True
    )
    found = current.first()
    fields = {
        "withdrawn_release_id": release_id,
        "withheld_in_id": withheld_in_id,
        "withheld_release_id": withheld_release_id,
        "withheld_paragraphs": sorted(withheld_paragraphs),
    }
    if found is not None and found.withdrawn_release_id is not None:
        return Withdrawal(found)
    if found is not None:
        current.update(**fields)
        found.refresh_from_db()
        return Withdrawal(found, extended=True)
    last = ReviewRound.objects.filter(cable_id=cable_id).aggregate(n=Max("number"))["n"]
    opened = ReviewRound.objects.create(
        cable_id=cable_id, number=(last or 1) + 1, declass_date=None, opened_at=at,
        **fields,
    )  # fmt: skip
    return Withdrawal(opened, opened=True)


def withheld_in_shown(user: Any, rounds_: list[ReviewRound]) -> dict[int, str]:
    """The reference id of the cable that withholds each withdrawing round's text, by
    round id, for the rounds whose withholding paragraphs the user may all read
    (``workflow.access``: a grant on that cable and clearance for them), as
    ``workflow.consistency.cables_shown`` names a conflict's other cable.  The others
    are said to be "another cable": which cable withholds a passage, and that it is
    this one, is what that cable's reviewers judged exempt."""
    wanted = {pid for r in rounds_ if r.withheld_in_id for pid in (r.withheld_paragraphs or [])}
    if not wanted or user is None:
        return {}
    readable = set(
        access.readable_paragraphs(user, Paragraph.objects.filter(pk__in=wanted)).values_list(
            "pk", flat=True
        )
    )
    refs = dict(
        Cable.objects.filter(pk__in={r.withheld_in_id for r in rounds_}).values_list(
            "pk", "reference_id"
        )
    )
    return {
        r.pk: refs[r.withheld_in_id]
        for r in rounds_
        if r.withheld_in_id in refs
        and r.withheld_paragraphs
        and set(r.withheld_paragraphs) <= readable
    }


# -- what the queue shows -----------------------------------------------------------------


def queue_marks(cable_ids: list[int], user: Any = None) -> dict[int, str]:
    """For the queue page's cables (one query, two more when a round withdraws a
    release): the open re-review rounds, as the row shows them, e.g. "re-review, round
    2: the 25X1 exemption that dated it ends ..." or "re-review, round 2: text withheld
    in 09ABC123; its release is withdrawn ...".

    Reasons name dates, rules, exemption codes and the cable whose release withholds
    the text, never cable text; that cable only to a ``user`` who may read what it
    withholds (``withheld_in_shown``), else "another cable".
    """
    if not cable_ids:
        return {}
    open_ = list(ReviewRound.objects.filter(cable_id__in=cable_ids, closed_at__isnull=True))
    named = withheld_in_shown(user, [r for r in open_ if r.withdraws])
    return {
        r.cable_id: f"re-review, round {r.number}: {r.reason_naming(named.get(r.pk))}"
        for r in open_
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

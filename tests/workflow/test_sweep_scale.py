"""The due sweep at scale: the partial index ``status_unflagged_idx`` (issue 15).

The sweep states "not flagged for its date" at the top of its WHERE so that the
planner can read the partial index instead of every row dated up to the cutoff.
The condition implies nothing new: the sweep must flag exactly what it flagged
without it, whichever way dates move.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import CableStatus, ReviewRound, ReviewState, SweepRun
from workflow.states import SWEEPABLE
from workflow.sweep import UNFLAGGED, _flag, _rereview_due, declass_due_sweep

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 7, 1)
CUTOFF = AS_OF + timedelta(days=90)


def _flagged_before(cutoff: date) -> set[int]:
    """What the sweep selected before the index (its conditions without UNFLAGGED)."""
    waiting = Q(review_state__in=SWEEPABLE) & (
        Q(due_for_date__isnull=True) | ~Q(due_for_date=F("declass_date"))
    )
    return set(
        CableStatus.objects.filter(declass_date__lte=cutoff)
        .filter(waiting | _rereview_due())
        .values_list("cable_id", flat=True)
    )


def _run() -> set[int]:
    run = declass_due_sweep(as_of=AS_OF, horizon=90)
    return set(CableStatus.objects.filter(due_run=run).values_list("cable_id", flat=True))


def test_the_index_and_the_sweep_state_the_same_condition():
    index = next(i for i in CableStatus._meta.indexes if i.name == "status_unflagged_idx")
    assert index.condition == UNFLAGGED
    assert index.fields == ["declass_date"]


def test_the_sweep_flags_what_it_flagged_before_as_dates_move_earlier_and_later():
    reviewer = UserFactory()
    days = (-4000, -30, 0, 45, 89, 90, 91, 400)
    cables = [CableFactory(declass_date=AS_OF + timedelta(d)) for d in days]
    cables += [CableFactory(declass_date=None)]
    cables += [
        CableFactory(declass_date=AS_OF - timedelta(10), review_state=state)
        for state in (ReviewState.RETURNED, ReviewState.IN_REVIEW, ReviewState.REVIEWED)
    ]
    permissions.grant(permissions.REVIEW, reviewer, cables)

    expected = _flagged_before(CUTOFF)
    assert _run() == expected and len(expected) == 7
    assert _flagged_before(CUTOFF) == set() and _run() == set()  # nothing twice

    status = {s.cable_id: s for s in CableStatus.objects.all()}
    moves = {
        cables[0].pk: AS_OF - timedelta(5000),  # earlier, still due: flagged again
        cables[1].pk: AS_OF + timedelta(60),  # later, within the horizon: again
        cables[2].pk: AS_OF + timedelta(365),  # later, past the cutoff: not now
        cables[6].pk: AS_OF + timedelta(30),  # earlier, into the horizon: first flag
        cables[7].pk: AS_OF + timedelta(200),  # earlier, still beyond: nothing
        cables[8].pk: AS_OF - timedelta(1),  # dated at last: flagged
    }
    for cable_id, moved in moves.items():
        CableStatus.objects.filter(cable_id=cable_id).update(declass_date=moved)
    # Flagged cables wait again only once returned; one left due is not flagged again.
    CableStatus.objects.filter(cable_id__in=[cables[0].pk, cables[1].pk]).update(
        review_state=ReviewState.RETURNED
    )
    CableStatus.objects.filter(cable_id=cables[5].pk).update(declass_date=AS_OF - timedelta(9))
    # Back to where it was flagged: nothing to do (same date as its flag).
    CableStatus.objects.filter(cable_id=cables[3].pk).update(
        declass_date=status[cables[3].pk].declass_date
    )
    # Returned by its reviewer since: waits again, with the date it was flagged for.
    CableStatus.objects.filter(cable_id=cables[4].pk).update(review_state=ReviewState.RETURNED)

    expected = _flagged_before(CUTOFF)
    assert expected == {cables[i].pk for i in (0, 1, 6, 8)}
    assert _run() == expected
    assert _flagged_before(CUTOFF) == set() and _run() == set()


def test_released_cables_get_their_rounds_as_before():
    released = [
        CableFactory(declass_date=AS_OF - timedelta(d), review_state=ReviewState.RELEASED)
        for d in (1, 2, 3, 4)
    ]
    # Handled long ago (date moved on since), never handled, handled its date, and
    # one with a round open already.
    for cable, handled in [(released[0], -400), (released[2], 0), (released[3], -400)]:
        CableStatus.objects.filter(cable=cable).update(due_for_date=AS_OF + timedelta(handled))
    ReviewRound.objects.create(
        cable=released[3], number=2, declass_date=AS_OF, opened_at=timezone.now()
    )
    expected = _flagged_before(CUTOFF)
    assert expected == {released[0].pk, released[1].pk}
    run = SweepRun.objects.create(started_at=timezone.now(), as_of=AS_OF, horizon_days=90)

    flagged = _flag(run, cutoff=CUTOFF)

    assert flagged.total == 2 and len(flagged.rounds) == 2
    assert set(CableStatus.objects.filter(due_run=run).values_list("cable_id", flat=True)) == (
        expected
    )


def test_the_sweep_can_read_the_partial_index():
    """The planner proves the index's condition from the sweep's WHERE (it would fall
    back to the date index, silently, if the two were written differently)."""
    for d in range(-30, 0):
        CableFactory(declass_date=AS_OF + timedelta(d))
    declass_due_sweep(as_of=AS_OF, horizon=90)  # all flagged: out of the partial index
    CableFactory(declass_date=AS_OF)
    ran: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        ran.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        declass_due_sweep(as_of=AS_OF, horizon=90)
    sql, params = next((s, p) for s, p in ran if "WITH flagged AS" in s)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE workflow_cablestatus")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    assert "status_unflagged_idx" in plan, plan

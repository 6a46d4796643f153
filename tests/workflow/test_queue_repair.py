"""The queue index repair puts a damaged queue back to exactly what the triggers wrote.

The repair compares the index with the permissions before it reaches the cables
and statuses, and computes ``open`` set-based rather than through
``workflow_cable_open``: both must change nothing of what it writes.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from cables.markings import Level
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import CableStatus, QueueEntry, ReviewRound, ReviewState
from workflow.queue_index import OPEN_SQL, queue_index_repair

pytestmark = pytest.mark.django_db

COLUMNS = ("holder_kind", "holder_id", "cable_id", "declass_date", "open", "level", "origin_key")


def _rows() -> set[tuple[object, ...]]:
    return set(QueueEntry.objects.values_list(*COLUMNS))


def _world():
    """Cables in every state, released ones with and without an open round, one with
    no status row; held by users and a group, for review, release or both."""
    posts = ["Embassy Tripoli", "embassy vilnius", "Mission Geneva"]
    cables = [
        CableFactory(
            origin=posts[i % 3],
            level=int([Level.U, Level.C, Level.S][i % 3]),
            declass_date=date(2020, 1, 1) + timedelta(days=97 * i),
            review_state=state,
        )
        for i, state in enumerate(list(ReviewState) * 2)
    ]
    released = [c for c in cables if c.status.review_state == ReviewState.RELEASED]
    ReviewRound.objects.create(
        cable=released[0], number=2, declass_date=date(2030, 1, 1), opened_at=timezone.now()
    )
    ReviewRound.objects.create(
        cable=released[1],
        number=2,
        declass_date=date(2030, 1, 1),
        opened_at=timezone.now(),
        closed_at=timezone.now(),
    )
    CableStatus.objects.filter(cable=cables[1]).delete()
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    desk = Group.objects.create(name="desk")
    permissions.grant(permissions.REVIEW, alice, cables[:12])
    permissions.grant(permissions.RELEASE, alice, cables[8:16])  # both: one row
    permissions.grant(permissions.REVIEW, desk, cables[5:])
    permissions.grant(permissions.RELEASE, bob, cables[::3])
    permissions.grant(permissions.VIEW, carol, cables)  # view alone: no queue
    return cables, alice, bob, carol, desk


def test_a_damaged_queue_is_repaired_to_exactly_what_the_triggers_wrote():
    cables, alice, bob, carol, desk = _world()
    written = _rows()
    assert len(written) > 25
    assert queue_index_repair() == 0  # in step: nothing to do
    assert _rows() == written

    with connection.cursor() as cursor:
        # Lost entries: a user's, a group's.
        cursor.execute(
            "DELETE FROM workflow_queueentry WHERE (holder_kind = 'u' AND holder_id = %s"
            " AND cable_id = ANY(%s)) OR (holder_kind = 'g' AND cable_id = %s)",
            [alice.pk, [cables[0].pk, cables[9].pk, cables[11].pk], cables[7].pk],
        )
        # Changed entries: every copied column.
        cursor.execute(
            "UPDATE workflow_queueentry SET declass_date = declass_date + 1 WHERE cable_id = %s",
            [cables[2].pk],
        )
        cursor.execute(
            "UPDATE workflow_queueentry SET open = NOT open WHERE cable_id = ANY(%s)",
            [[c.pk for c in cables[3:7]]],
        )
        cursor.execute(
            "UPDATE workflow_queueentry SET declass_date = NULL, level = 9,"
            " origin_key = 'ELSEWHERE' WHERE cable_id = %s",
            [cables[8].pk],
        )
        # Stale entries: a holder of view alone, a group that holds nothing, a
        # holder kind neither table knows, a revoked user's cable.
        cursor.execute(
            "INSERT INTO workflow_queueentry"
            " (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)"
            " VALUES ('u', %s, %s, NULL, true, 1, ''), ('g', %s, %s, NULL, true, 1, ''),"
            " ('x', %s, %s, NULL, true, 1, ''), ('u', %s, %s, '2020-01-01', false, 2, 'X')",
            [
                carol.pk, cables[0].pk, desk.pk, cables[0].pk,
                alice.pk, cables[2].pk, bob.pk, cables[1].pk,
            ],
        )  # fmt: skip
    damaged = _rows()
    assert damaged != written

    changed = queue_index_repair()

    assert _rows() == written
    before, after = ({r[:3]: r for r in rows} for rows in (damaged, written))
    assert changed == (
        len(before.keys() - after.keys())  # deleted
        + len(after.keys() - before.keys())  # inserted
        + sum(before[key] != after[key] for key in before.keys() & after.keys())  # updated
    )
    assert queue_index_repair() == 0


def test_a_damaged_queue_is_repaired_after_statuses_and_rounds_change():
    """The repair's ``open`` agrees with the triggers' after a round opens and closes."""
    cables, *_ = _world()
    released = CableStatus.objects.filter(
        cable__in=cables, review_state=ReviewState.RELEASED
    ).values_list("cable_id", flat=True)
    for cable_id in released:
        ReviewRound.objects.filter(cable_id=cable_id).update(closed_at=None)
    CableStatus.objects.filter(cable__in=cables[:4]).update(review_state=ReviewState.RELEASED)
    written = _rows()
    QueueEntry.objects.update(open=True, declass_date=None)

    queue_index_repair()

    assert _rows() == written


@pytest.mark.parametrize("state", [*ReviewState.values, None])
@pytest.mark.parametrize("rounds", ["none", "open", "closed"])
def test_the_repairs_open_is_workflow_cable_open(state, rounds):
    """OPEN_SQL restates the SQL function ``workflow_cable_open`` set-based: the same
    truth table, NULL state (no status row) included."""
    cable = CableFactory()
    if rounds != "none":
        ReviewRound.objects.create(
            cable=cable,
            number=2,
            declass_date=date(2030, 1, 1),
            opened_at=timezone.now(),
            closed_at=timezone.now() if rounds == "closed" else None,
        )
    # OPEN_SQL reads s.review_state and r.cable_id (a cable with an open round).
    sql = f"""
        SELECT {OPEN_SQL}, workflow_cable_open(s.review_state, %s)
        FROM (SELECT %s::text AS review_state) s
        LEFT JOIN (SELECT DISTINCT cable_id FROM workflow_reviewround
                   WHERE closed_at IS NULL) r ON r.cable_id = %s
    """  # nosec B608 - a constant expression; values are bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [cable.pk, state, cable.pk])
        mine, function = cursor.fetchone()
    assert mine is function

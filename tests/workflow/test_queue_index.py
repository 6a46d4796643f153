"""The review queue's index (QueueEntry, kept by PostgreSQL triggers) answers exactly
what reading the status table answers, through every change that can alter a queue:
grants and revocations to users and groups, group membership, releases, cables
coming back, new declassification dates, and each filter.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group

from cables.markings import Level
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import (
    CableGroupObjectPermission,
    CableStatus,
    CableUserObjectPermission,
    QueueEntry,
    ReviewState,
)
from workflow.selectors import (
    CableFilters,
    _queue_index_page,
    queue_page,
    queue_slice,
    review_queue,
)

# The queue index is kept by database triggers.
pytestmark = pytest.mark.django_db

FILTERS = [
    CableFilters(),
    CableFilters(level=int(Level.S)),
    CableFilters(post="embassy tripoli"),
    CableFilters(tag="PREL"),
    CableFilters(post="Embassy Tripoli", level=int(Level.C)),
]


def _both(user, filters: CableFilters, offset: int = 0, limit: int = 1000):
    indexed = _queue_index_page(user, filters, offset=offset, limit=limit)
    direct = queue_slice(
        review_queue(user=user, filters=filters, state=""), offset=offset, limit=limit
    )
    return indexed, direct


def _assert_same(users) -> None:
    for user in users:
        for filters in FILTERS:
            indexed, direct = _both(user, filters)
            assert indexed == direct, (user.username, filters)
        assert (
            _both(user, CableFilters(), offset=3, limit=4)[0]
            == _both(user, CableFilters(), offset=3, limit=4)[1]
        )


@pytest.mark.django_db(transaction=True)  # the superuser's connection sees what committed
def test_the_index_follows_every_change_that_alters_a_queue():
    rng = random.Random(7)
    posts = ["Embassy Tripoli", "Embassy Vilnius", "Mission Geneva"]
    cables = []
    for i in range(40):
        cable = CableFactory(
            origin=rng.choice(posts),
            level=rng.choice([int(Level.U), int(Level.C), int(Level.S)]),
            tags=["PREL"] if i % 3 == 0 else ["PGOV"],
            declass_date=date(2020, 1, 1) + timedelta(days=rng.randrange(4000)),
            review_state=rng.choice(list(ReviewState)),
        )
        cable.tag_rows.create(tag=cable.tags[0])
        cables.append(cable)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    desk = Group.objects.create(name="desk")
    users = [alice, bob]

    permissions.grant(permissions.REVIEW, alice, cables[:15])
    permissions.grant(permissions.RELEASE, alice, cables[10:20])  # overlap: one row each
    permissions.grant(permissions.VIEW, bob, cables[20:30])  # view alone: not a queue
    permissions.grant(permissions.REVIEW, desk, cables[12:25])
    _assert_same(users)

    bob.groups.add(desk)  # membership: bob now holds the desk's cables
    alice.groups.add(desk)  # held directly and through the group: counted once
    _assert_same(users)

    statuses = {s.cable_id: s for s in CableStatus.objects.filter(cable__in=cables)}
    for cable in rng.sample(cables, 15):  # releases, returns, new dates, plain moves
        status = statuses[cable.pk]
        status.review_state = rng.choice(list(ReviewState))
        if rng.random() < 0.5:
            status.declass_date = date(2019, 6, 1) + timedelta(days=rng.randrange(5000))
        status.save()
    _assert_same(users)

    CableUserObjectPermission.objects.filter(
        user=alice, content_object__in=cables[10:13], permission__codename="review_cable"
    ).delete()  # cables 10-12 stay in alice's queue: she still may release them
    CableGroupObjectPermission.objects.filter(content_object__in=cables[20:25]).delete()
    _assert_same(users)
    bob.groups.remove(desk)
    _assert_same(users)

    # A cable's post and level are not the application role's to change (audit.db_roles).
    with superuser_connection() as conn:
        conn.execute(
            "UPDATE cables_cable SET origin = %s, level = %s WHERE id = %s",
            ["Embassy Tripoli", int(Level.S), cables[3].pk],
        )
    cables[4].delete()
    _assert_same(users)
    assert not QueueEntry.objects.filter(cable_id=cables[4].pk).exists()


def test_the_queue_page_reads_the_index_for_waiting_cables_in_any_state(
    django_assert_num_queries,
):
    user = UserFactory()
    permissions.grant(
        permissions.REVIEW, user, [CableFactory(review_state=ReviewState.DUE) for _ in range(3)]
    )
    assert QueueEntry.objects.filter(holder_id=user.pk, holder_kind="u").count() == 3

    with django_assert_num_queries(1):
        ids, total = queue_page(user=user, filters=CableFilters(), state="", offset=0, limit=50)
    assert total == 3 and len(ids) == 3
    # Past the end: no ids, the length still right.
    assert queue_page(user=user, filters=CableFilters(), state="", offset=50, limit=50) == (
        [],
        3,
    )
    # One state: the status table answers, the same.
    assert queue_page(user=user, filters=CableFilters(), state="due", offset=0, limit=50) == (
        ids,
        3,
    )


def test_a_status_row_deleted_or_missing_leaves_no_open_entry():
    user = UserFactory()
    cable = CableFactory(review_state=ReviewState.DUE)
    permissions.grant(permissions.REVIEW, user, cable)
    CableStatus.objects.filter(cable=cable).delete()

    indexed, direct = _both(user, CableFilters())
    assert indexed == direct == ([], 0)


def test_the_repair_after_each_sweep_puts_right_what_concurrent_commits_missed():
    from workflow.queue_index import queue_index_repair
    from workflow.tasks import declass_due_sweep_task

    user, other = UserFactory(), UserFactory()
    cables = [CableFactory(review_state=ReviewState.DUE) for _ in range(4)]
    permissions.grant(permissions.REVIEW, user, cables)
    assert queue_index_repair() == 0  # in step: nothing to do
    # What two transactions committing at once can leave behind (each trigger saw
    # only what had committed): an entry lost, one left over, one stale.
    QueueEntry.objects.filter(holder_id=user.pk, cable=cables[0]).delete()
    QueueEntry.objects.create(
        holder_kind="u", holder_id=other.pk, cable=cables[1], open=True, level=1, origin_key=""
    )
    QueueEntry.objects.filter(cable=cables[2]).update(open=False)
    assert _both(user, CableFilters())[0] != _both(user, CableFilters())[1]

    declass_due_sweep_task()  # as beat runs it

    _assert_same([user, other])
    assert queue_index_repair() == 0

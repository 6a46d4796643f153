"""The queue index's repair after a sweep rechecks only the cables the triggers logged
(``workflow_queuetouched``, migration 0014), and the whole index after the day's first run.

The race the repair exists for is played for real: two connections, one granting a
cable while the other moves its date, each committing without seeing the other.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from cables.markings import Level
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import (
    CableStatus,
    CableUserObjectPermission,
    QueueEntry,
    QueueTouched,
    ReviewRound,
    SweepRun,
)
from workflow.queue_index import queue_index_repair, queue_index_repair_after

COLUMNS = ("holder_kind", "holder_id", "cable_id", "declass_date", "open", "level", "origin_key")


def logged() -> set[int]:
    return set(QueueTouched.objects.values_list("cable_id", flat=True))


def rows() -> set[tuple[object, ...]]:
    return set(QueueEntry.objects.values_list(*COLUMNS))


@pytest.mark.django_db(transaction=True)  # the superuser's connection sees what committed
def test_the_triggers_log_what_the_queue_copies_and_nothing_else():
    cable, other = CableFactory(level=int(Level.C)), CableFactory()
    reviewer = UserFactory()
    QueueTouched.objects.all().delete()

    permissions.grant(permissions.REVIEW, reviewer, cable)
    assert logged() == {cable.pk}

    QueueTouched.objects.all().delete()
    # The sweep's moves between open states change nothing the queue copies.
    CableStatus.objects.filter(cable=cable).update(review_state="due")
    # A cable's header and level are not the application role's to change
    # (audit.db_roles): only the superuser (or the owner, a data migration) changes them.
    with superuser_connection() as conn:
        conn.execute(
            "UPDATE cables_cable SET subject = 'A new subject line' WHERE id = %s", [cable.pk]
        )
    assert logged() == set()

    CableStatus.objects.filter(cable=cable).update(declass_date=date(2031, 5, 1))
    assert logged() == {cable.pk}
    CableStatus.objects.filter(cable=other).update(review_state="released")
    with superuser_connection() as conn:
        conn.execute("UPDATE cables_cable SET level = %s WHERE id = %s", [int(Level.S), other.pk])
    ReviewRound.objects.create(
        cable=other, number=2, declass_date=date(2030, 1, 1), opened_at=timezone.now()
    )
    assert logged() == {cable.pk, other.pk}

    QueueTouched.objects.all().delete()
    CableUserObjectPermission.objects.filter(user=reviewer).delete()  # a revoke
    assert logged() == {cable.pk}


@pytest.mark.django_db
def test_the_logged_repair_rechecks_the_logged_cables_and_empties_the_log():
    cables = [CableFactory(declass_date=date(2030, 1, 1) + timedelta(days=i)) for i in range(3)]
    reviewer = UserFactory()
    permissions.grant(permissions.REVIEW, reviewer, cables)
    written = rows()
    QueueTouched.objects.all().delete()
    with connection.cursor() as cursor:  # two rows damaged, as a race would leave them
        cursor.execute(
            "UPDATE workflow_queueentry SET declass_date = NULL WHERE cable_id = ANY(%s)",
            [[cables[0].pk, cables[1].pk]],
        )
    QueueTouched.objects.create(cable_id=cables[0].pk)  # only the first was logged

    assert queue_index_repair(every_cable=False) == 1

    fixed = {r for r in rows() if r[2] == cables[0].pk}
    assert fixed == {r for r in written if r[2] == cables[0].pk}
    assert logged() == set()
    assert queue_index_repair(every_cable=False) == 0  # nothing logged: nothing read
    assert queue_index_repair() == 1  # the whole index: the unlogged one too
    assert rows() == written


@pytest.mark.django_db
def test_the_days_first_sweep_checks_the_whole_index_and_the_others_the_log():
    cable = CableFactory(declass_date=date(2030, 1, 1))
    reviewer = UserFactory()
    permissions.grant(permissions.REVIEW, reviewer, cable)
    QueueTouched.objects.all().delete()
    QueueEntry.objects.update(declass_date=None)  # damage no trigger logged
    now = timezone.now()

    def run(at):  # type: ignore[no-untyped-def]
        return SweepRun.objects.create(started_at=at, as_of=at.date(), horizon_days=30)

    first = run(now)
    second = run(now + timedelta(seconds=1))
    assert queue_index_repair_after(second) == 0  # not the day's first: the log, empty
    assert queue_index_repair_after(first) == 1  # the day's first: the whole index


@pytest.mark.django_db(transaction=True)
def test_a_grant_and_a_date_change_committed_together_are_put_right_by_the_logged_repair():
    cable = CableFactory(declass_date=date(2030, 1, 1))
    reviewer = UserFactory()
    granted, moved = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def grant() -> None:  # T1: grants, waits for T2 to commit, then commits
        try:
            with transaction.atomic():
                permissions.grant(permissions.REVIEW, reviewer, cable)
                granted.set()
                assert moved.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            granted.set()
        finally:
            connections.close_all()

    def move() -> None:  # T2: moves the date while T1's grant is uncommitted
        try:
            assert granted.wait(10)
            CableStatus.objects.filter(cable=cable).update(declass_date=date(2035, 6, 1))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            moved.set()
            connections.close_all()

    threads = [threading.Thread(target=grant), threading.Thread(target=move)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []

    # Each trigger saw only what had committed: the grant's row kept the old date.
    entry = QueueEntry.objects.get(holder_kind="u", holder_id=reviewer.pk, cable_id=cable.pk)
    assert entry.declass_date == date(2030, 1, 1)
    assert logged() == {cable.pk}

    assert queue_index_repair(every_cable=False) == 1

    entry = QueueEntry.objects.get(holder_kind="u", holder_id=reviewer.pk, cable_id=cable.pk)
    assert entry.declass_date == date(2035, 6, 1)
    assert logged() == set()


@pytest.mark.django_db
def test_the_operator_repairs_the_whole_index_or_the_logged_cables_from_the_shell():
    from io import StringIO

    from django.core.management import call_command

    cable = CableFactory(declass_date=date(2030, 1, 1))
    permissions.grant(permissions.REVIEW, UserFactory(), cable)
    QueueTouched.objects.all().delete()
    QueueEntry.objects.update(declass_date=None)  # damage no trigger logged

    out = StringIO()
    call_command("queue_repair", "--logged-only", stdout=out)
    assert out.getvalue().strip() == "0 queue row(s) put right"
    call_command("queue_repair", stdout=out)
    assert out.getvalue().strip().endswith("1 queue row(s) put right")
    assert QueueEntry.objects.get(cable_id=cable.pk).declass_date == date(2030, 1, 1)

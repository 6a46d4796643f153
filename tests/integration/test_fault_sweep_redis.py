"""Redis restarted in the middle of a due sweep; the sweep completes and nothing is
lost or flagged twice.

A Redis of the test's own (the machine's shared one is never touched), a real worker
and real beat on it, and the sweep queued by beat from its schedule.  A hook in the
worker holds the sweep inside its transaction, after it has flagged and before it
notifies: the message is delivered and not yet acknowledged.  Redis is then killed,
which loses that message and every sweep beat queued meanwhile (it keeps nothing on
disk), and started again on the same port.

Two outages: a short one, over before the sweep commits, and a long one, during which
the sweep commits and cannot queue its e-mails.  Either way the worker and beat
reconnect, beat queues the next sweep on its next tick, and in the end every due cable
is flagged by exactly one run, each reviewer has one notification with the right
count, and every notification is e-mailed.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from audit.models import AuditEvent
from cables.models import Cable
from tests.factories import CableFactory, UserFactory
from tests.integration import services
from workflow import permissions
from workflow.models import CableStatus, Notification, ReviewState, SweepRun

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="redis-server is not installed: the Redis restart test needs its own server",
    ),
]

DUE = 120
TEAMS = 3


def make_cables() -> tuple[set[int], dict[str, int]]:
    """Due and not-due cables, a reviewer per team and one who reviews them all;
    returns the due ids and how many due cables each reviewer holds."""
    today = timezone.now().date()
    due = [CableFactory(declass_date=today - timedelta(days=i % 400)) for i in range(DUE)]
    later = [CableFactory(declass_date=today + timedelta(days=400)) for _ in range(10)]
    # Released cables already flagged for their date: a sweep that flagged anything
    # twice would bring them back.
    done = [
        CableFactory(declass_date=today - timedelta(days=5), review_state=ReviewState.RELEASED)
        for _ in range(5)
    ]
    CableStatus.objects.filter(cable__in=done).update(due_for_date=F("declass_date"))
    expected = {}
    for team in range(TEAMS):
        user = UserFactory(username=f"reviewer{team}")
        permissions.grant(permissions.REVIEW, user, due[team::TEAMS] + later)
        expected[user.username] = len(due[team::TEAMS])
    lead = UserFactory(username="lead")
    permissions.grant(permissions.REVIEW, lead, Cable.objects.all())
    expected["lead"] = DUE
    return {c.pk for c in due}, expected


def schedule_sweep_every(seconds: int) -> None:
    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.update_or_create(
        name="Declassification due sweep",
        defaults={"task": "workflow.declass_due_sweep", "interval": every},
    )


def held_run(gate: Path) -> int | None:
    held = sorted(gate.glob("held-*"))
    return int(held[0].name.removeprefix("held-")) if held else None


def finished(run_id: int) -> bool:
    return SweepRun.objects.filter(pk=run_id, status=SweepRun.Status.FINISHED).exists()


def all_emailed() -> bool:
    pending = Notification.objects.filter(emailed_at__isnull=True)
    return Notification.objects.exists() and not pending.exists()


@pytest.mark.parametrize("outage", ["short", "across the commit"])
def test_redis_restarted_mid_sweep_loses_nothing_and_flags_nothing_twice(tmp_path, outage):
    due, expected = make_cables()
    schedule_sweep_every(2)
    gate, mail = tmp_path / "gate", tmp_path / "mail"
    gate.mkdir()

    with services.redis_server(tmp_path) as redis:
        broker = {"CELERY_BROKER_URL": redis.url}
        hook = {services.SWEEP_GATE_ENV: str(gate), services.MAIL_DIR_ENV: str(mail)}
        with (
            services.worker(tmp_path / "w", include=[services.__name__], **broker, **hook) as w,
            services.beat(tmp_path / "b", **broker) as beat,
        ):
            # Given a sweep queued by beat, delivered and held in the middle of its work
            assert services.wait_until(lambda: held_run(gate), timeout=40), w.output()[-3000:]
            run_id = held_run(gate)
            assert not finished(run_id)
            first_server = redis.run_id()

            # When Redis is killed, and started again before or after the sweep commits
            redis.kill()
            killed_at = timezone.now()
            if outage == "short":
                redis.start()
                (gate / "open").touch()
                assert services.wait_until(lambda: finished(run_id), timeout=30)
            else:
                (gate / "open").touch()
                assert services.wait_until(lambda: finished(run_id), timeout=30)
                # Its e-mails could not be queued (the broker is down); let it give up.
                assert services.wait_until(
                    lambda: re.search(r"declass_due_sweep\[[^]]+\] (succeeded|raised)", w.output()),
                    timeout=30,
                ), w.output()[-3000:]
                redis.start()
            assert redis.run_id() != first_server, "Redis did not restart"

            # Then worker and beat reconnect, beat queues the sweep again, the next run
            # completes, and every notification gets e-mailed once
            def caught_up() -> bool:
                later = SweepRun.objects.filter(
                    started_at__gt=killed_at, status=SweepRun.Status.FINISHED
                ).exclude(pk=run_id)
                return later.exists() and all_emailed()

            done = services.wait_until(caught_up, timeout=60)
            log = w.output() + beat.output()
            assert done, f"no sweep completed after the restart:\n{log[-5000:]}"
            assert w.proc.poll() is None and beat.proc.poll() is None, "a service died"

    # The worker lost its broker mid-task and reconnected; in the long outage the held
    # sweep committed while the broker was down and could not queue its e-mails
    assert "Connection to broker lost" in log
    assert w.output().count(f"Connected to redis://:**@127.0.0.1:{redis.port}") >= 2
    if outage != "short":
        assert "queue_email in on_commit()" in log
    # Every due cable flagged once, by the sweep that was running when Redis went down
    flagged = CableStatus.objects.filter(due_run__isnull=False)
    assert set(flagged.values_list("cable_id", flat=True)) == due
    assert CableStatus.objects.filter(review_state=ReviewState.RELEASED).count() == 5
    assert set(flagged.values_list("due_run", flat=True)) == {run_id}
    runs = SweepRun.objects.order_by("started_at")
    assert [r.flagged for r in runs if r.flagged] == [DUE]
    assert {r.status for r in runs} <= {SweepRun.Status.FINISHED, SweepRun.Status.SKIPPED}
    assert AuditEvent.objects.filter(action="sweep.flagged").count() == 1
    # One notification per reviewer, with their count, e-mailed once
    notes = Notification.objects.values_list("user__username", "cable_count", "sweep_run")
    assert sorted(notes) == sorted((u, n, run_id) for u, n in expected.items())
    assert all_emailed()
    assert sorted(services.mail_recipients(mail)) == sorted(f"{u}@example.org" for u in expected)

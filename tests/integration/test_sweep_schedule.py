"""A real Celery worker and beat run the due sweep from its schedule.

Runs on whatever broker and database the suite uses: the file-system broker and
the embedded PostgreSQL by default, Redis and the PostgreSQL that DATABASE_URL names
when CELERY_BROKER_URL and DATABASE_URL are set (as in CI).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from cables.models import Cable
from tests.factories import CableFactory, UserFactory
from tests.integration import services
from workflow import permissions
from workflow.models import CableStatus, Notification, ReviewState, SweepRun

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_beat_runs_the_sweep_and_the_worker_flags_exactly_the_due_cables(tmp_path):
    # Given cables dated in the past, within the 90-day horizon, beyond it, and undated
    today = timezone.now().date()
    due = {
        CableFactory(declass_date=today - timedelta(days=3650)).pk,
        CableFactory(declass_date=today).pk,
        CableFactory(declass_date=today + timedelta(days=89)).pk,
    }
    not_due = {
        CableFactory(declass_date=today + timedelta(days=120)).pk,
        CableFactory(declass_date=None).pk,
        CableFactory(declass_date=today, review_state=ReviewState.IN_REVIEW).pk,
    }
    reviewer = UserFactory(username="rita")
    permissions.grant(permissions.REVIEW, reviewer, Cable.objects.filter(pk__in=due))
    every_second, _ = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
    PeriodicTask.objects.update_or_create(
        name="Declassification due sweep",
        defaults={"task": "workflow.declass_due_sweep", "interval": every_second},
    )

    # When a real worker and beat run
    with services.worker(tmp_path) as worker, services.beat(tmp_path) as beat:
        finished = services.wait_until(
            lambda: SweepRun.objects.filter(status=SweepRun.Status.FINISHED).count() >= 2
        )
        log = worker.output() + beat.output()

    # Then the sweep ran from its schedule, flagged exactly the due cables, once
    assert finished, f"no two finished sweeps; logs:\n{log[-4000:]}"
    assert "Sending due task Declassification due sweep" in log
    flagged = set(
        CableStatus.objects.filter(due_run__isnull=False).values_list("cable_id", flat=True)
    )
    assert flagged == due
    now_due = CableStatus.objects.filter(review_state=ReviewState.DUE)
    assert set(now_due.values_list("cable_id", flat=True)) == due
    runs = list(SweepRun.objects.filter(status=SweepRun.Status.FINISHED).order_by("started_at"))
    assert runs[0].flagged == 3 and all(r.flagged == 0 for r in runs[1:])
    assert list(Notification.objects.values_list("user__username", "cable_count")) == [("rita", 3)]
    assert not_due.isdisjoint(flagged)

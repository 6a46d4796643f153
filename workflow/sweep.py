"""The due sweep: flag cables whose declassification date has come or is near.

One periodic job, never one schedule entry per cable.  It works in a handful
of set-based statements: one UPDATE flags the cables, one grouped query finds
the reviewers to tell, one bulk INSERT writes their notifications.  A cable is
flagged for a given date once (``due_for_date``), so running twice flags
nothing twice; on PostgreSQL an advisory lock makes a second concurrent sweep
(say, two beat processes) stand aside and record itself as skipped.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from cables.models import Cable, ReviewState
from workflow import permissions
from workflow.models import Notification, SweepRun

DEFAULT_HORIZON_DAYS = 90
_LOCK_KEY = 0x6465636C  # "decl": the advisory-lock id of the sweep

# States in which a cable is already waiting for a reviewer: never re-flagged.
WAITING_STATES = (ReviewState.DUE, ReviewState.IN_REVIEW)


def horizon_days() -> int:
    return int(getattr(settings, "DECLASS_DUE_HORIZON_DAYS", DEFAULT_HORIZON_DAYS))


def due_queryset(*, as_of: date, horizon: int):  # type: ignore[no-untyped-def]
    """Cables to flag: dated within the horizon, not waiting, not flagged for that date."""
    cutoff = as_of + timedelta(days=horizon)
    return (
        Cable.objects.filter(declass_date__lte=cutoff)
        .exclude(review_state__in=WAITING_STATES)
        .filter(Q(due_for_date__isnull=True) | ~Q(due_for_date=F("declass_date")))
    )


def declass_due_sweep(*, as_of: date | None = None, horizon: int | None = None) -> SweepRun:
    """Flag due cables, move them to the "due" state and notify their reviewers."""
    as_of = as_of or timezone.now().date()
    horizon = horizon_days() if horizon is None else horizon
    with transaction.atomic():
        run = SweepRun.objects.create(started_at=timezone.now(), as_of=as_of, horizon_days=horizon)
        if not _try_lock():
            run.status = SweepRun.Status.SKIPPED
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "finished_at"])
            return run
        run.flagged = due_queryset(as_of=as_of, horizon=horizon).update(
            review_state=ReviewState.DUE, due_for_date=F("declass_date"), due_run=run
        )
        run.notified_users = _notify_reviewers(run) if run.flagged else 0
        run.status = SweepRun.Status.FINISHED
        run.finished_at = timezone.now()
        run.save(update_fields=["flagged", "notified_users", "status", "finished_at"])
    if run.notified_users:
        from workflow.tasks import notifications_email_task

        transaction.on_commit(lambda: notifications_email_task.delay(run.pk))
    return run


def _try_lock() -> bool:
    """A transaction-scoped advisory lock on PostgreSQL.

    SQLite needs none: its write transactions (``IMMEDIATE``) already run one at a time.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _notify_reviewers(run: SweepRun) -> int:
    """One notification per reviewer of any cable flagged in this run."""
    counts = permissions.reviewer_counts(Cable.objects.filter(due_run=run))
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            sweep_run=run,
            cable_count=count,
            created_at=now,
            message=f"{count} cable{'s' if count != 1 else ''} assigned to you came due for "
            f"declassification review (as of {run.as_of:%Y-%m-%d}).",
        )
        for user_id, count in counts.items()
    )
    return len(counts)

"""The due sweep: flag cables whose declassification date has come or is near.

One periodic job, never one schedule entry per cable.  It works in a handful
of set-based statements: an UPDATE flags the cables and a grouped query finds
the reviewers to tell (on PostgreSQL both in one statement), then one bulk
INSERT writes their notifications.  A cable is
flagged for a given date once (``due_for_date``), so running twice flags
nothing twice; on PostgreSQL an advisory lock makes a second concurrent sweep
(say, two beat processes) stand aside and record itself as skipped.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from audit.trail import audit_record
from config.celery import queue_task
from workflow import permissions
from workflow.models import CableStatus, Notification, ReviewState, SweepRun
from workflow.states import SWEEPABLE

DEFAULT_HORIZON_DAYS = 90
_LOCK_KEY = 0x6465636C  # "decl": the advisory-lock id of the sweep


def horizon_days() -> int:
    return int(getattr(settings, "DECLASS_DUE_HORIZON_DAYS", DEFAULT_HORIZON_DAYS))


def due_queryset(*, cutoff: date) -> QuerySet[CableStatus]:
    """Cables to flag: dated by the cutoff, in a state that may become due (the
    transition table's edges into DUE), and not flagged for that date already."""
    return CableStatus.objects.filter(declass_date__lte=cutoff, review_state__in=SWEEPABLE).filter(
        Q(due_for_date__isnull=True) | ~Q(due_for_date=F("declass_date"))
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
        run.flagged, counts = _flag(run, cutoff=as_of + timedelta(days=horizon))
        run.notified_users = _notify(run, counts)
        run.status = SweepRun.Status.FINISHED
        run.finished_at = timezone.now()
        run.save(update_fields=["flagged", "notified_users", "status", "finished_at"])
        if run.flagged:
            # One entry per run: the cables it moved name the run (CableStatus.due_run).
            audit_record(
                actor=None,
                action="sweep.flagged",
                obj=run,
                after={
                    "flagged": run.flagged,
                    "as_of": run.as_of.isoformat(),
                    "horizon_days": horizon,
                    "state": ReviewState.DUE,
                },
            )
    _queue_emails()
    return run


def _queue_emails() -> None:
    """Queue the e-mails of every run with notifications not e-mailed yet, not only this one's.

    The flags are committed before the e-mails are queued; if the broker is
    down at that moment (a Redis restart), queueing fails.  That is logged, not
    raised (the run's work is done and a retry could not reach the broker
    either), and the next run queues them again.  Sending claims each row once,
    so a run queued twice sends nothing twice.
    """
    pending = (
        Notification.objects.filter(emailed_at__isnull=True, sweep_run__isnull=False)
        .exclude(user__email="")
        .values_list("sweep_run_id", flat=True)
        .distinct()
    )
    for run_id in pending:
        # A named function, not a partial: Django logs a failed robust callback by name.
        def queue_email(run_id: int = run_id) -> None:
            queue_task("workflow.notifications_email", run_id)

        transaction.on_commit(queue_email, robust=True)


def _try_lock() -> bool:
    """A transaction-scoped advisory lock: one sweep at a time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _flag(run: SweepRun, *, cutoff: date) -> tuple[int, dict[int, int]]:
    """Flag and count each reviewer's flagged cables in one statement.

    The UPDATE's RETURNING set feeds the count directly: no second scan for
    the run's cables, and the planner knows how many rows it joins (a separate
    query would see stale statistics for the just-written run id and probe the
    permission tables once per flagged cable).  Same conditions as
    ``due_queryset``; the two are tested against each other.
    """
    status = CableStatus._meta.db_table
    counts_sql, counts_params = permissions.reviewer_counts_sql("flagged")
    # Table names from the models; every value is a bound parameter.
    sql = f"""
        WITH flagged AS (
            UPDATE {status}
            SET review_state = %s, due_for_date = declass_date, due_run_id = %s
            WHERE declass_date <= %s
              AND review_state IN ({", ".join(["%s"] * len(SWEEPABLE))})
              AND (due_for_date IS NULL OR due_for_date <> declass_date)
            RETURNING cable_id
        )
        SELECT -1, COUNT(*) FROM flagged
        UNION ALL
        {counts_sql}
    """  # nosec B608
    params = [ReviewState.DUE, run.pk, cutoff, *SWEEPABLE, *counts_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = dict(cursor.fetchall())
    return rows.pop(-1), rows


def _notify(run: SweepRun, counts: dict[int, int]) -> int:
    """One notification per reviewer of any cable flagged in this run."""
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

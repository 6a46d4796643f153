"""The due sweep: flag cables whose declassification date has come or is near.

One periodic job, never one schedule entry per cable.  It works in a handful
of set-based statements: one statement flags the cables, opens the re-review
rounds and counts the reviewers to tell, then one bulk INSERT writes their
notifications.  A cable is flagged for a given date once (``due_for_date``), so
running twice flags nothing twice; an advisory lock makes a second concurrent
sweep (say, two beat processes) stand aside and record itself as skipped.

Only cables that wait are moved (to *due*): ingested and returned ones (the
edges into DUE of ``workflow.states``).  A cable a person holds (in review,
reviewed, approved) is left alone: its review covers the date.  A released cable
is never pulled back: when its date moves past the date its release handled (an
exemption that dated it runs out), the sweep opens a re-review round for it
(``workflow.rounds``) and leaves its state, and its published release, as they are.
Each run's audit entry names the cables it flagged and the rounds it opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import Exact
from django.utils import timezone

from audit.trail import audit_record
from cables.models import Cable
from config.celery import queue_task
from workflow import permissions, rounds
from workflow.models import CableStatus, Notification, ReviewRound, ReviewState, SweepRun
from workflow.states import SWEEPABLE

DEFAULT_HORIZON_DAYS = 90
_LOCK_KEY = 0x6465636C  # "decl": the advisory-lock id of the sweep


def horizon_days() -> int:
    return int(getattr(settings, "DECLASS_DUE_HORIZON_DAYS", DEFAULT_HORIZON_DAYS))


def handled_date(*, flagged_for: date | None, today: date | None = None) -> date:
    """The date through which a release published today handles the cable's
    declassification dates (stored as ``CableStatus.due_for_date`` when the cable
    becomes released): the sweep's cutoff today (today plus the horizon), or the
    date the cable was flagged for if that is later.

    Any date up to it is answered by the release, even one the rules engine computes
    only after publication (say a cable reviewed and released before the worker dated
    it: its passed date does not bring it back).  A later date (the release came
    before a 25X exemption that dated it ran out, or the cable was re-dated since)
    is not: when it comes within the horizon the sweep opens a re-review round.
    """
    through = (today or timezone.now().date()) + timedelta(days=horizon_days())
    return max(through, flagged_for) if flagged_for is not None else through


def _rereview_due() -> Q:
    """Released cables whose date moved past the one their release handled, and that
    have no open round already (they then are not flagged again)."""
    return (
        Q(review_state=ReviewState.RELEASED)
        & (Q(due_for_date__isnull=True) | Q(due_for_date__lt=F("declass_date")))
        & ~Exists(ReviewRound.objects.filter(cable_id=OuterRef("cable_id"), closed_at__isnull=True))
    )


# Not flagged for the date the cable has now: never flagged, or for another date.  Both
# branches of the sweep imply it; it is also stated at the top of their WHERE, where the
# planner can match it to the partial index ``status_unflagged_idx`` (the model's Meta
# holds the same condition): a sweep then reads only the rows it could flag, not every
# row dated up to the cutoff.
UNFLAGGED = Q(due_for_date__isnull=True) | ~Q(Exact(F("due_for_date"), F("declass_date")))
_UNFLAGGED_SQL = "(s.due_for_date IS NULL OR s.due_for_date <> s.declass_date)"


def due_queryset(*, cutoff: date) -> QuerySet[CableStatus]:
    """Cables to flag: dated by the cutoff and either waiting (a state with an edge
    into DUE) and not flagged for that date already, or released with a date past the
    one their release handled (``_rereview_due``: they get a round, not a move)."""
    waiting = Q(review_state__in=SWEEPABLE) & (
        Q(due_for_date__isnull=True) | ~Q(due_for_date=F("declass_date"))
    )
    return (
        CableStatus.objects.filter(declass_date__lte=cutoff)
        .filter(UNFLAGGED)
        .filter(waiting | _rereview_due())
    )


def declass_due_sweep(*, as_of: date | None = None, horizon: int | None = None) -> SweepRun:
    """Flag due cables: move the waiting ones to the "due" state, open a re-review
    round for the released ones whose date moved on, and notify their reviewers."""
    as_of = as_of or timezone.now().date()
    horizon = horizon_days() if horizon is None else horizon
    with transaction.atomic():
        run = SweepRun.objects.create(started_at=timezone.now(), as_of=as_of, horizon_days=horizon)
        if not _try_lock():
            run.status = SweepRun.Status.SKIPPED
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "finished_at"])
            return run
        flagged = _flag(run, cutoff=as_of + timedelta(days=horizon))
        run.flagged = flagged.total
        run.notified_users = _notify(run, flagged)
        run.status = SweepRun.Status.FINISHED
        run.finished_at = timezone.now()
        run.save(update_fields=["flagged", "notified_users", "status", "finished_at"])
        if run.flagged:
            # One entry per run, naming every cable it flagged: moved to due (by
            # reference id) or given a re-review round (with the round and why).
            audit_record(
                actor=None,
                action="sweep.flagged",
                obj=run,
                after={
                    "flagged": run.flagged,
                    "as_of": run.as_of.isoformat(),
                    "horizon_days": horizon,
                    "state": ReviewState.DUE,
                    "cables": flagged.due,
                    "rounds": [
                        {"cable": ref, "round": number, "reason": reason}
                        for ref, number, reason in flagged.rounds
                    ],
                },
            )
    _queue_emails()
    return run


_NOTICES_REQUEUED = 1_000  # a run's share of lost notices; the next run takes the rest


def _queue_emails() -> None:
    """Queue the e-mails of every run with notifications not e-mailed yet, not only this one's.

    The flags are committed before the e-mails are queued; if the broker is
    down at that moment (a Redis restart), queueing fails.  That is logged, not
    raised (the run's work is done and a retry could not reach the broker
    either), and the next run queues them again.  Sending claims each row once,
    so a run queued twice sends nothing twice.
    """
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True, sweep_run__isnull=False, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("sweep_run_id", flat=True)
        .distinct()
    )
    for run_id in pending:
        # A named function, not a partial: Django logs a failed robust callback by name.
        def queue_email(run_id: int = run_id) -> None:
            queue_task("workflow.notifications_email", run_id)

        transaction.on_commit(queue_email, robust=True)
    others = list(
        Notification.objects.filter(
            emailed_at__isnull=True, sweep_run__isnull=True, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)[:_NOTICES_REQUEUED]
    )
    if others:  # notices of returns and assignments whose e-mail task was lost

        def queue_notices(ids: list[int] = others) -> None:
            queue_task("workflow.notices_email", ids)

        transaction.on_commit(queue_notices, robust=True)


def _try_lock() -> bool:
    """A transaction-scoped advisory lock: one sweep at a time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


@dataclass(frozen=True)
class Flagged:
    """What one run's statement flagged: how many, each reviewer's count (all, and of
    them re-reviews), the reference ids moved to due, and the rounds opened
    (reference id, round number, reason)."""

    total: int
    counts: dict[int, int]
    round_counts: dict[int, int]
    due: list[str]
    rounds: list[tuple[str, int, str]]


def _flag(run: SweepRun, *, cutoff: date) -> Flagged:
    """Flag, open rounds, and count each reviewer's flagged cables in one statement.

    The UPDATE's RETURNING set feeds the rest directly: no second scan for the
    run's cables, and the planner knows how many rows it joins (a separate query
    would see stale statistics for the just-written run id and probe the
    permission tables once per flagged cable).  A waiting cable is moved to DUE;
    a released one keeps its state (the UPDATE writes only its ``due_for_date``,
    so that no later run flags it again for the same date) and gets a round,
    inserted by the same statement: the INSERT reads the status rows as they were
    before the UPDATE (one snapshot), hence the date the release had handled.
    Same conditions as ``due_queryset``; the two are tested against each other.
    """
    status = CableStatus._meta.db_table
    round_table = ReviewRound._meta.db_table
    cable_table = Cable._meta.db_table
    all_sql, all_params = permissions.reviewer_counts_sql("flagged")
    rr_sql, rr_params = permissions.reviewer_counts_sql("reopened")
    released = ReviewState.RELEASED
    # Table names from the models; every value is a bound parameter.
    sql = f"""
        WITH flagged AS (
            UPDATE {status} s
            SET review_state = CASE WHEN s.review_state = %s THEN s.review_state ELSE %s END,
                due_for_date = s.declass_date, due_run_id = %s
            WHERE s.declass_date <= %s AND {_UNFLAGGED_SQL} AND (
                (s.review_state IN ({", ".join(["%s"] * len(SWEEPABLE))})
                 AND (s.due_for_date IS NULL OR s.due_for_date <> s.declass_date))
                OR (s.review_state = %s
                    AND (s.due_for_date IS NULL OR s.due_for_date < s.declass_date)
                    AND NOT EXISTS (SELECT 1 FROM {round_table} r
                                    WHERE r.cable_id = s.cable_id AND r.closed_at IS NULL)))
            RETURNING s.cable_id, s.review_state = %s AS reopened
        ),
        reopened AS (SELECT cable_id FROM flagged WHERE reopened),
        opened AS (
            INSERT INTO {round_table}
                (cable_id, number, declass_date, handled_date, exemption, rule,
                 sweep_run_id, opened_at)
            SELECT o.cable_id,
                   COALESCE((SELECT MAX(r.number) FROM {round_table} r
                             WHERE r.cable_id = o.cable_id), 1) + 1,
                   before.declass_date, before.due_for_date,
                   COALESCE(substring(UPPER(c.decl) FROM %s), ''), c.declass_rule, %s, %s
            FROM reopened o
            JOIN {status} before ON before.cable_id = o.cable_id
            JOIN {cable_table} c ON c.id = o.cable_id
            RETURNING cable_id, number, declass_date, handled_date, exemption, rule
        ),
        all_counts(user_id, n) AS ({all_sql}),
        round_counts(user_id, n) AS ({rr_sql})
        SELECT
            (SELECT COUNT(*) FROM flagged),
            (SELECT json_object_agg(user_id, n) FROM all_counts),
            (SELECT json_object_agg(user_id, n) FROM round_counts),
            (SELECT json_agg(c.reference_id ORDER BY c.reference_id)
             FROM flagged f JOIN {cable_table} c ON c.id = f.cable_id WHERE NOT f.reopened),
            (SELECT json_agg(json_build_array(c.reference_id, o.number, o.declass_date,
                                              o.handled_date, o.exemption, o.rule)
                             ORDER BY c.reference_id)
             FROM opened o JOIN {cable_table} c ON c.id = o.cable_id)
    """  # nosec B608
    params = [
        released, ReviewState.DUE, run.pk, cutoff, *SWEEPABLE, released, released,
        rounds.EXEMPTION_SQL, run.pk, timezone.now(), *all_params, *rr_params,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        # The planner's estimates for a statement of this size (every status row it
        # might flag, joined to the cables and permissions) call for JIT compilation,
        # which costs seconds to save milliseconds: measured 9 s of compiling for a
        # 0.3 s statement over 100,000 cables (bench/sweep.py --quick).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        total, counts, round_counts, due, opened = cursor.fetchone()
    return Flagged(
        total=int(total),
        counts={int(k): int(v) for k, v in _json(counts, {}).items()},
        round_counts={int(k): int(v) for k, v in _json(round_counts, {}).items()},
        due=list(_json(due, [])),
        rounds=[
            (ref, int(number), _reason(declass_date, handled, exemption, rule))
            for ref, number, declass_date, handled, exemption, rule in _json(opened, [])
        ],
    )


def _json(value: Any, empty: Any) -> Any:
    """A json column as psycopg hands it (parsed; text on some drivers); NULL: ``empty``."""
    if value is None:
        return empty
    return json.loads(value) if isinstance(value, str) else value


def _reason(declass_date: str, handled: str | None, exemption: str, rule: str) -> str:
    return ReviewRound(
        declass_date=date.fromisoformat(declass_date),
        handled_date=date.fromisoformat(handled) if handled else None,
        exemption=exemption,
        rule=rule,
    ).reason


def _notify(run: SweepRun, flagged: Flagged) -> int:
    """One notification per reviewer of any cable flagged in this run, counting the
    released cables given a re-review round among them."""
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            sweep_run=run,
            cable_count=count,
            created_at=now,
            message=_message(run, count, flagged.round_counts.get(user_id, 0)),
        )
        for user_id, count in flagged.counts.items()
    )
    return len(flagged.counts)


def _message(run: SweepRun, count: int, rereviews: int) -> str:
    text = (
        f"{count} cable{'s' if count != 1 else ''} assigned to you came due for "
        f"declassification review (as of {run.as_of:%Y-%m-%d})"
    )
    if rereviews:
        text += (
            f", {rereviews} of them released and opened for re-review "
            "(an exemption that dated them ran out)"
            if count != 1
            else ", a released cable opened for re-review (an exemption that dated it ran out)"
        )
    return text + "."

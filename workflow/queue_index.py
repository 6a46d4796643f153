"""Keeping the review queue's index (``QueueEntry``) true to the permissions and statuses.

Triggers keep it in step as changes commit (migrations 0003 and 0011: a cable waits
when it is not released, or released with an open re-review round,
``workflow_cable_open``).  Two transactions
that commit at the same moment can still leave a row behind: one grants a
cable while the other revokes another permission on it, or publishes it; each
trigger sees only what had committed.  ``queue_index_repair`` puts every row
right in three set-based statements, so that no such miss outlives the next
due sweep, which runs it (every 15 minutes by default).  Both transactions log
the cable they touched (``workflow_queuetouched``, migration 0014), so after
every sweep but the day's first the repair rechecks only the cables logged
since the last one (milliseconds when nothing was logged, where the whole index
took 7.6 s at 2.5M cables); the day's first, and ``manage.py queue_repair``,
check the whole index.

The index holds a row per (holder, cable) held for review or release: a million
rows for 50 reviewers of 20,000 cables each, nearly all of them in step at every
run.  Each statement therefore compares the index with the permissions first (an
anti-join of the two, filtered on the two permission ids looked up beforehand)
and reaches the cables and statuses only for the rows found to differ.  Joining
``auth_permission`` and ``django_content_type`` in the statement hid from the
planner how many permission rows it would get (118 estimated, 1,000,000 read):
it chose nested loops into the cables for every one of them (INSERT 79.9 s, the
whole repair 111 s at 2,500,000 cables; ``bench/sweep.py --statements``).
"""

from __future__ import annotations

from django.db import connection, transaction

from workflow import permissions
from workflow.models import SweepRun

# Statements built from constants only; the permission ids are bound parameters.
_HOLDERS = (
    ("u", "workflow_cableuserobjectpermission", "user_id"),
    ("g", "workflow_cablegroupobjectpermission", "group_id"),
)


def _held(kind: str, table: str, holder: str, negate: bool) -> str:
    """``[NOT] EXISTS``: the queue row ``q`` is held, by a permission of its own kind."""
    # Table and column names from _HOLDERS; the ids are a bound parameter.
    return f"""{"NOT " if negate else ""}EXISTS (
        SELECT 1 FROM {table} a
        WHERE q.holder_kind = '{kind}' AND a.{holder} = q.holder_id
          AND a.content_object_id = q.cable_id AND a.permission_id = ANY(%(perms)s))"""  # nosec B608


# Rows no permission holds any more: one anti-join per holder kind (a row of
# another kind, or of none, is held by neither and goes).
def _delete_stale(only: str) -> str:
    return f"""
    DELETE FROM workflow_queueentry q
    WHERE {" AND ".join(_held(*holder, negate=True) for holder in _HOLDERS)}
    {only.format(cable="q.cable_id")}
"""  # nosec B608


def _missing(kind: str, table: str, holder: str, only: str) -> str:
    """The (holder, cable) pairs of one holder kind held with no queue row (DISTINCT:
    a holder of both review and release on a cable gets one row)."""
    # Table and column names from _HOLDERS; the ids are a bound parameter.
    return f"""
    SELECT DISTINCT '{kind}' AS holder_kind, a.{holder} AS holder_id,
           a.content_object_id AS cable_id
    FROM {table} a
    WHERE a.permission_id = ANY(%(perms)s) {only.format(cable="a.content_object_id")}
      AND NOT EXISTS (SELECT 1 FROM workflow_queueentry q
                      WHERE q.holder_kind = '{kind}' AND q.holder_id = a.{holder}
                        AND q.cable_id = a.content_object_id)"""  # nosec B608


# MATERIALIZED: the missing pairs are found before the cables and statuses are
# joined, so only they reach them (nearly always none).
def _insert_missing(only: str) -> str:
    missing = " UNION ALL ".join(_missing(*holder, only) for holder in _HOLDERS)
    return f"""
    WITH missing AS MATERIALIZED ({missing})
    INSERT INTO workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT e.holder_kind, e.holder_id, e.cable_id, s.declass_date,
           workflow_cable_open(s.review_state, e.cable_id), c.level, UPPER(c.origin)
    FROM missing e
    JOIN cables_cable c ON c.id = e.cable_id
    LEFT JOIN workflow_cablestatus s ON s.cable_id = e.cable_id
    ON CONFLICT DO NOTHING
"""  # nosec B608


# ``workflow_cable_open(state, cable)`` computed set-based: the function, called once
# per queue row (twice, in the SET and the WHERE), was two thirds of this statement's
# time (a SQL function with a subquery is not inlined).  The same truth table, NULL
# state included (a cable with no status row is not open); a test holds the two equal.
OPEN_SQL = (
    "COALESCE(s.review_state <> 'released'"
    " OR (s.review_state = 'released' AND r.cable_id IS NOT NULL), false)"
)


def _update_changed(only: str) -> str:
    return f"""
    UPDATE workflow_queueentry q
    SET declass_date = t.declass_date, open = t.open, level = t.level,
        origin_key = t.origin_key
    FROM (
        SELECT c.id AS cable_id, s.declass_date, {OPEN_SQL} AS open, c.level,
               UPPER(c.origin) AS origin_key
        FROM cables_cable c
        LEFT JOIN workflow_cablestatus s ON s.cable_id = c.id
        LEFT JOIN (SELECT DISTINCT cable_id FROM workflow_reviewround
                   WHERE closed_at IS NULL {only.format(cable="cable_id")}) r
               ON r.cable_id = c.id
        WHERE true {only.format(cable="c.id")}
    ) t
    WHERE t.cable_id = q.cable_id {only.format(cable="q.cable_id")}
      AND (q.declass_date IS DISTINCT FROM t.declass_date
           OR q.open IS DISTINCT FROM t.open
           OR q.level IS DISTINCT FROM t.level
           OR q.origin_key IS DISTINCT FROM t.origin_key)
"""  # nosec B608


# The whole index, or only the cables the triggers logged (bound as one array).
_EVERY_CABLE = ""
_LOGGED_CABLES = "AND {cable} = ANY(%(cables)s)"
_REPAIRS = {
    every: (_delete_stale(only), _insert_missing(only), _update_changed(only))
    for every, only in ((True, _EVERY_CABLE), (False, _LOGGED_CABLES))
}
# The log is taken in the repair's transaction: rows logged by transactions still
# running stay for the next repair, and a repair that fails leaves the log as it was.
_TAKE_LOGGED = """
    WITH taken AS (DELETE FROM workflow_queuetouched RETURNING cable_id)
    SELECT COALESCE(array_agg(DISTINCT cable_id), '{}') FROM taken
"""


def queue_index_repair(*, every_cable: bool = True) -> int:
    """Put right every row of the queue index that disagrees with the permissions
    and statuses; return how many rows changed (0 when all was in step).

    ``every_cable=False`` rechecks only the cables the triggers logged since the last
    repair (migration 0014), which is what the sweep runs after each run; the whole
    index is checked by the day's first sweep and by ``manage.py queue_repair``, and
    either way the log is emptied of what was checked.
    """
    # The planner sees the ids (bound, planned for them): how many permission rows it reads.
    perms = list(permissions._permission_ids((permissions.REVIEW, permissions.RELEASE)))
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_TAKE_LOGGED)
        cables = cursor.fetchone()[0]
        if not every_cable and not cables:
            return 0
        # Hash anti-joins of a million rows each want more than the default 4 MB
        # (else they spill to disk in batches); JIT compiling costs seconds on
        # statements whose estimates are large and whose work is hashing.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL jit = off")
        # Planned for these ids each time, even once the connection has prepared the
        # statements (config/db_cursor.py): a generic plan would not see how many there are.
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        delete_stale, insert_missing, update_changed = _REPAIRS[every_cable]
        params = {"perms": perms, "cables": cables}
        for sql in (delete_stale, insert_missing, update_changed):
            cursor.execute(sql, params)  # nosec B608
            changed += max(cursor.rowcount, 0)
    return changed


def queue_index_repair_after(run: SweepRun) -> int:
    """The repair a sweep run is followed by: the whole index after the day's first run
    (whatever the log missed is put right within a day), the cables logged since the
    last repair after every other (a row written directly into the index that no grant
    holds is logged too, and recorded: workflow migration 0017)."""
    earlier_today = SweepRun.objects.filter(
        started_at__date=run.started_at.date(), pk__lt=run.pk
    ).exists()
    return queue_index_repair(every_cable=not earlier_today)

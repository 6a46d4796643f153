"""Keeping the review queue's index (``QueueEntry``) true to the permissions and statuses.

Triggers keep it in step as changes commit (migrations 0003 and 0011: a cable waits
when it is not released, or released with an open re-review round,
``workflow_cable_open``).  Two transactions
that commit at the same moment can still leave a row behind: one grants a
cable while the other revokes another permission on it, or publishes it; each
trigger sees only what had committed.  ``queue_index_repair`` puts every row
right in three set-based statements, so that no such miss outlives the next
due sweep, which runs it (every 15 minutes by default).
"""

from __future__ import annotations

from django.db import connection, transaction

# Statements built from constants only: no value from outside reaches them.
_QUEUE_PERMISSIONS = """
    JOIN auth_permission p ON p.id = a.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'
"""

# Every (holder, cable) that should be in a queue, with what the index copies.
_EXPECTED = f"""
    SELECT DISTINCT 'u' AS holder_kind, a.user_id AS holder_id, a.content_object_id AS cable_id
    FROM workflow_cableuserobjectpermission a {_QUEUE_PERMISSIONS}
    UNION
    SELECT DISTINCT 'g', a.group_id, a.content_object_id
    FROM workflow_cablegroupobjectpermission a {_QUEUE_PERMISSIONS}
"""  # nosec B608

_DELETE_STALE = f"""
    DELETE FROM workflow_queueentry q
    WHERE NOT EXISTS (
        SELECT 1 FROM ({_EXPECTED}) e
        WHERE e.holder_kind = q.holder_kind AND e.holder_id = q.holder_id
          AND e.cable_id = q.cable_id)
"""  # nosec B608

_INSERT_MISSING = f"""
    INSERT INTO workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT e.holder_kind, e.holder_id, e.cable_id, s.declass_date,
           workflow_cable_open(s.review_state, e.cable_id), c.level, UPPER(c.origin)
    FROM ({_EXPECTED}) e
    JOIN cables_cable c ON c.id = e.cable_id
    LEFT JOIN workflow_cablestatus s ON s.cable_id = e.cable_id
    ON CONFLICT DO NOTHING
"""  # nosec B608

_UPDATE_CHANGED = """
    UPDATE workflow_queueentry q
    SET declass_date = s.declass_date, open = workflow_cable_open(s.review_state, c.id),
        level = c.level, origin_key = UPPER(c.origin)
    FROM cables_cable c LEFT JOIN workflow_cablestatus s ON s.cable_id = c.id
    WHERE c.id = q.cable_id
      AND (q.declass_date IS DISTINCT FROM s.declass_date
           OR q.open IS DISTINCT FROM workflow_cable_open(s.review_state, c.id)
           OR q.level IS DISTINCT FROM c.level
           OR q.origin_key IS DISTINCT FROM UPPER(c.origin))
"""


def queue_index_repair() -> int:
    """Put right every row of the queue index that disagrees with the permissions
    and statuses; return how many rows changed (0 when all was in step).
    """
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in (_DELETE_STALE, _INSERT_MISSING, _UPDATE_CHANGED):
            cursor.execute(sql)  # nosec B608
            changed += max(cursor.rowcount, 0)
    return changed

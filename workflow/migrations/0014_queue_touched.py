"""The cables whose queue rows a change may have left behind, logged by triggers.

The queue index's own triggers (0003, 0011) keep ``workflow_queueentry`` in step; two
transactions that commit at the same moment can still each miss the other's change.
These statement-level triggers log, in ``workflow_queuetouched``, every cable whose
queue rows they act on, under the same conditions: a grant added, changed or removed;
a status added or removed, or its date or released-ness changed; a re-review round
added, changed or removed; a cable's level or post changed.  The repair after each
sweep (``workflow.queue_index``) rechecks those cables only and empties the log.
"""

from django.db import migrations, models

LOG_ROWS = """
CREATE FUNCTION workflow_queue_touched_{column}() RETURNS trigger AS $$
BEGIN
    INSERT INTO workflow_queuetouched (cable_id) SELECT DISTINCT {column} FROM rows;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

FUNCTIONS = (
    LOG_ROWS.format(column="content_object_id")
    + LOG_ROWS.format(column="cable_id")
    + """
CREATE FUNCTION workflow_queue_touched_status() RETURNS trigger AS $$
BEGIN
    INSERT INTO workflow_queuetouched (cable_id)
    SELECT DISTINCT n.cable_id FROM new_rows n JOIN old_rows o ON o.cable_id = n.cable_id
    WHERE n.declass_date IS DISTINCT FROM o.declass_date
       OR (n.review_state = 'released') IS DISTINCT FROM (o.review_state = 'released');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION workflow_queue_touched_cable() RETURNS trigger AS $$
BEGIN
    INSERT INTO workflow_queuetouched (cable_id)
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.level IS DISTINCT FROM o.level OR n.origin IS DISTINCT FROM o.origin;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
)


def _log_all(table: str, column: str) -> str:
    """Every row inserted, deleted, or updated (before and after) logs its cable."""
    name = "workflow_queue_touched"  # trigger names are the table's own
    function = f"workflow_queue_touched_{column}()"
    return f"""
CREATE TRIGGER {name}_i AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS rows FOR EACH STATEMENT EXECUTE FUNCTION {function};
CREATE TRIGGER {name}_d AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS rows FOR EACH STATEMENT EXECUTE FUNCTION {function};
CREATE TRIGGER {name}_un AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS rows FOR EACH STATEMENT EXECUTE FUNCTION {function};
CREATE TRIGGER {name}_uo AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS rows FOR EACH STATEMENT EXECUTE FUNCTION {function};
"""


TRIGGERS = (
    _log_all("workflow_cableuserobjectpermission", "content_object_id")
    + _log_all("workflow_cablegroupobjectpermission", "content_object_id")
    + _log_all("workflow_reviewround", "cable_id")
    + """
CREATE TRIGGER workflow_queue_touched_status_i AFTER INSERT ON workflow_cablestatus
    REFERENCING NEW TABLE AS rows FOR EACH STATEMENT
    EXECUTE FUNCTION workflow_queue_touched_cable_id();
CREATE TRIGGER workflow_queue_touched_status_d AFTER DELETE ON workflow_cablestatus
    REFERENCING OLD TABLE AS rows FOR EACH STATEMENT
    EXECUTE FUNCTION workflow_queue_touched_cable_id();
CREATE TRIGGER workflow_queue_touched_status_u AFTER UPDATE ON workflow_cablestatus
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION workflow_queue_touched_status();
CREATE TRIGGER workflow_queue_touched_cable_u AFTER UPDATE ON cables_cable
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION workflow_queue_touched_cable();
"""
)

TABLES = (
    ("workflow_cableuserobjectpermission", ("i", "d", "un", "uo")),
    ("workflow_cablegroupobjectpermission", ("i", "d", "un", "uo")),
    ("workflow_reviewround", ("i", "d", "un", "uo")),
)

BACKWARD = (
    "".join(
        f"DROP TRIGGER IF EXISTS workflow_queue_touched_{suffix} ON {table};\n"
        for table, suffixes in TABLES
        for suffix in suffixes
    )
    + """
DROP TRIGGER IF EXISTS workflow_queue_touched_status_i ON workflow_cablestatus;
DROP TRIGGER IF EXISTS workflow_queue_touched_status_d ON workflow_cablestatus;
DROP TRIGGER IF EXISTS workflow_queue_touched_status_u ON workflow_cablestatus;
DROP TRIGGER IF EXISTS workflow_queue_touched_cable_u ON cables_cable;
DROP FUNCTION IF EXISTS workflow_queue_touched_cable();
DROP FUNCTION IF EXISTS workflow_queue_touched_status();
DROP FUNCTION IF EXISTS workflow_queue_touched_cable_id();
DROP FUNCTION IF EXISTS workflow_queue_touched_content_object_id();
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0013_status_unflagged_idx"),
        ("cables", "0005_paragraph_id_cable_unique"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueueTouched",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("cable_id", models.BigIntegerField()),
            ],
        ),
        migrations.RunSQL(FUNCTIONS + TRIGGERS, BACKWARD),
    ]

"""Every stored cable has its workflow status row, carrying a copy of its date.

The cables app stores cables and their declassification date knowing nothing of
the workflow; these triggers give each new cable its status row ('ingested') and
copy the date onto it whenever the engine's result changes, so that the due sweep
scans one narrow table.  Statement-level, with transition tables: an import by
COPY or a bulk update of thousands of cables costs one extra statement, not one
per row.

Fill factor 50 on the status table: the sweep's UPDATE then finds room on the
same page and rewrites rows without touching any index (HOT updates).
"""

from django.db import migrations

FORWARD = """
ALTER TABLE workflow_cablestatus SET (fillfactor = 50);

CREATE FUNCTION workflow_status_cables_added() RETURNS trigger AS $$
BEGIN
    INSERT INTO workflow_cablestatus (cable_id, review_state, declass_date)
    SELECT id, 'ingested', declass_date FROM added
    ON CONFLICT (cable_id) DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_status_cables_added AFTER INSERT ON cables_cable
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_status_cables_added();

CREATE FUNCTION workflow_status_dates_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO workflow_cablestatus AS s (cable_id, review_state, declass_date)
    SELECT n.id, 'ingested', n.declass_date
    FROM changed n JOIN previous o ON o.id = n.id
    WHERE n.declass_date IS DISTINCT FROM o.declass_date
    ON CONFLICT (cable_id) DO UPDATE SET declass_date = EXCLUDED.declass_date
        WHERE s.declass_date IS DISTINCT FROM EXCLUDED.declass_date;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_status_dates_changed AFTER UPDATE ON cables_cable
    REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_status_dates_changed();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS workflow_status_dates_changed ON cables_cable;
DROP FUNCTION IF EXISTS workflow_status_dates_changed();
DROP TRIGGER IF EXISTS workflow_status_cables_added ON cables_cable;
DROP FUNCTION IF EXISTS workflow_status_cables_added();
ALTER TABLE workflow_cablestatus RESET (fillfactor);
"""


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial"), ("cables", "0002_storage")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""Keep the review queue's index (workflow_queueentry) in step.

Rows come and go with review and release permissions (granted to a user or a
group), and follow the status of their cable when its declassification date
changes or it is released or comes back; the sweep's moves between open states
fire nothing.  The table is filled from the permissions already granted.  What
two transactions committing at once can leave behind, workflow.queue_index
puts right after every due sweep.
"""

from django.db import migrations

QUEUE_PERMISSIONS = """
    JOIN auth_permission p ON p.id = {alias}.permission_id
        AND p.codename IN ('review_cable', 'release_cable')
    JOIN django_content_type ct ON ct.id = p.content_type_id AND ct.app_label = 'cables'
"""


def _holder_sql(kind: str, table: str, holder: str) -> str:
    added = QUEUE_PERMISSIONS.format(alias="a")
    kept = QUEUE_PERMISSIONS.format(alias="x")
    return f"""
CREATE FUNCTION workflow_queue_{kind}_added() RETURNS trigger AS $$
BEGIN
    INSERT INTO workflow_queueentry
        (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
    SELECT DISTINCT '{kind}', a.{holder}, a.content_object_id, s.declass_date,
           COALESCE(s.review_state <> 'released', false), c.level, UPPER(c.origin)
    FROM added a {added}
    JOIN cables_cable c ON c.id = a.content_object_id
    LEFT JOIN workflow_cablestatus s ON s.cable_id = a.content_object_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION workflow_queue_{kind}_removed() RETURNS trigger AS $$
BEGIN
    DELETE FROM workflow_queueentry q
    USING (SELECT DISTINCT {holder}, content_object_id FROM removed) r
    WHERE q.holder_kind = '{kind}' AND q.holder_id = r.{holder}
      AND q.cable_id = r.content_object_id
      AND NOT EXISTS (
          SELECT 1 FROM {table} x {kept}
          WHERE x.{holder} = r.{holder} AND x.content_object_id = r.content_object_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER workflow_queue_{kind}_added AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_{kind}_added();
CREATE TRIGGER workflow_queue_{kind}_changed_added AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_{kind}_added();
CREATE TRIGGER workflow_queue_{kind}_removed AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_{kind}_removed();
CREATE TRIGGER workflow_queue_{kind}_changed_removed AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_{kind}_removed();

INSERT INTO workflow_queueentry
    (holder_kind, holder_id, cable_id, declass_date, open, level, origin_key)
SELECT DISTINCT '{kind}', a.{holder}, a.content_object_id, s.declass_date,
       COALESCE(s.review_state <> 'released', false), c.level, UPPER(c.origin)
FROM {table} a {added}
JOIN cables_cable c ON c.id = a.content_object_id
LEFT JOIN workflow_cablestatus s ON s.cable_id = a.content_object_id
ON CONFLICT DO NOTHING;
"""


FORWARD = (
    _holder_sql("u", "workflow_cableuserobjectpermission", "user_id")
    + _holder_sql("g", "workflow_cablegroupobjectpermission", "group_id")
    + """
CREATE FUNCTION workflow_queue_status_changed() RETURNS trigger AS $$
BEGIN
    UPDATE workflow_queueentry
    SET declass_date = NEW.declass_date, open = NEW.review_state <> 'released'
    WHERE cable_id = NEW.cable_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_queue_status_changed AFTER UPDATE ON workflow_cablestatus
    FOR EACH ROW
    WHEN (OLD.declass_date IS DISTINCT FROM NEW.declass_date
          OR (OLD.review_state = 'released') IS DISTINCT FROM (NEW.review_state = 'released'))
    EXECUTE FUNCTION workflow_queue_status_changed();

CREATE FUNCTION workflow_queue_status_removed() RETURNS trigger AS $$
BEGIN
    UPDATE workflow_queueentry q SET open = false FROM removed s WHERE q.cable_id = s.cable_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_queue_status_removed AFTER DELETE ON workflow_cablestatus
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_status_removed();

CREATE FUNCTION workflow_queue_status_added() RETURNS trigger AS $$
BEGIN
    UPDATE workflow_queueentry q
    SET declass_date = s.declass_date, open = s.review_state <> 'released'
    FROM added s WHERE q.cable_id = s.cable_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_queue_status_added AFTER INSERT ON workflow_cablestatus
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_queue_status_added();

CREATE FUNCTION workflow_queue_cable_changed() RETURNS trigger AS $$
BEGIN
    UPDATE workflow_queueentry SET level = NEW.level, origin_key = UPPER(NEW.origin)
    WHERE cable_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_queue_cable_changed AFTER UPDATE ON cables_cable
    FOR EACH ROW
    WHEN (OLD.level IS DISTINCT FROM NEW.level OR OLD.origin IS DISTINCT FROM NEW.origin)
    EXECUTE FUNCTION workflow_queue_cable_changed();
"""
)

BACKWARD = """
DROP TRIGGER IF EXISTS workflow_queue_cable_changed ON cables_cable;
DROP TRIGGER IF EXISTS workflow_queue_status_added ON workflow_cablestatus;
DROP TRIGGER IF EXISTS workflow_queue_status_removed ON workflow_cablestatus;
DROP TRIGGER IF EXISTS workflow_queue_status_changed ON workflow_cablestatus;
""" + "".join(
    f"""
DROP TRIGGER IF EXISTS workflow_queue_{kind}_added ON {table};
DROP TRIGGER IF EXISTS workflow_queue_{kind}_changed_added ON {table};
DROP TRIGGER IF EXISTS workflow_queue_{kind}_removed ON {table};
DROP TRIGGER IF EXISTS workflow_queue_{kind}_changed_removed ON {table};
DROP FUNCTION IF EXISTS workflow_queue_{kind}_added();
DROP FUNCTION IF EXISTS workflow_queue_{kind}_removed();
"""
    for kind, table in (
        ("u", "workflow_cableuserobjectpermission"),
        ("g", "workflow_cablegroupobjectpermission"),
    )
) + """
DROP FUNCTION IF EXISTS workflow_queue_cable_changed();
DROP FUNCTION IF EXISTS workflow_queue_status_added();
DROP FUNCTION IF EXISTS workflow_queue_status_removed();
DROP FUNCTION IF EXISTS workflow_queue_status_changed();
DELETE FROM workflow_queueentry;
"""


class Migration(migrations.Migration):
    dependencies = [("workflow", "0002_status_follows_cables")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

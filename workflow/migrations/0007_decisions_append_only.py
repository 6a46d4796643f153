"""Decisions are append-only in the database itself, like the audit trail: a change is a
new row that supersedes the old one, never an UPDATE, a DELETE or a TRUNCATE."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION workflow_decision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'decisions are append-only: record a new decision that supersedes this one';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_decision_no_update BEFORE UPDATE OR DELETE ON workflow_decision
    FOR EACH ROW EXECUTE FUNCTION workflow_decision_append_only();
CREATE TRIGGER workflow_decision_no_truncate BEFORE TRUNCATE ON workflow_decision
    FOR EACH STATEMENT EXECUTE FUNCTION declass_refuse_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS workflow_decision_no_truncate ON workflow_decision;
DROP TRIGGER IF EXISTS workflow_decision_no_update ON workflow_decision;
DROP FUNCTION IF EXISTS workflow_decision_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0006_security_officer"),
        ("audit", "0003_no_truncate"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""On PostgreSQL, refuse UPDATE and DELETE on the audit trail in the database itself."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION workflow_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_audit_no_update BEFORE UPDATE OR DELETE ON workflow_auditevent
    FOR EACH ROW EXECUTE FUNCTION workflow_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS workflow_audit_no_update ON workflow_auditevent;
DROP FUNCTION IF EXISTS workflow_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0004_review_decisions_audit")]
    operations = [migrations.RunPython(forwards, backwards)]

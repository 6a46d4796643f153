"""The database itself refuses UPDATE and DELETE on the audit trail."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_no_update ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

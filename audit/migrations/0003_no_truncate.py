"""TRUNCATE empties a table without firing row triggers: the database refuses it on the
audit trail too, whoever holds the privilege (the application role does not)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION declass_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: a record table is never truncated', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION declass_refuse_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS declass_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""Published releases and their files refused changes in the database itself; on
PostgreSQL also a full-text search column over the released text (never the original)."""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE FUNCTION releases_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published release and its files are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER releases_release_final BEFORE UPDATE OR DELETE ON releases_release
    FOR EACH ROW WHEN (OLD.status <> 'pending') EXECUTE FUNCTION releases_refuse_change();
CREATE TRIGGER releases_releasefile_final BEFORE UPDATE OR DELETE ON releases_releasefile
    FOR EACH ROW EXECUTE FUNCTION releases_refuse_change();
ALTER TABLE releases_release ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED;
CREATE INDEX releases_release_search_idx ON releases_release USING gin (search_vector);
"""
POSTGRES_BACKWARD = """
DROP INDEX IF EXISTS releases_release_search_idx;
ALTER TABLE releases_release DROP COLUMN IF EXISTS search_vector;
DROP TRIGGER IF EXISTS releases_releasefile_final ON releases_releasefile;
DROP TRIGGER IF EXISTS releases_release_final ON releases_release;
DROP FUNCTION IF EXISTS releases_refuse_change();
"""
# SQLite: updates only.  Test databases there are emptied with DELETE between
# transactional tests, which a delete trigger would refuse.
SQLITE_FORWARD = [
    """CREATE TRIGGER releases_release_final BEFORE UPDATE ON releases_release
       WHEN OLD.status <> 'pending'
       BEGIN SELECT RAISE(ABORT, 'a published release is immutable'); END;""",
    """CREATE TRIGGER releases_releasefile_final BEFORE UPDATE ON releases_releasefile
       BEGIN SELECT RAISE(ABORT, 'release files are immutable'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS releases_releasefile_final;",
    "DROP TRIGGER IF EXISTS releases_release_final;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("releases", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

"""On PostgreSQL, files are added to a release only while it is pending: the database
refuses a file for a published or blocked release, whatever the code does.

The release row is read FOR SHARE, so a publication or a block committing at the same
time is waited for rather than missed.  SQLite keeps only the update triggers of 0002.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE FUNCTION releases_file_needs_pending() RETURNS trigger AS $$
DECLARE
    current_status varchar;
BEGIN
    SELECT status INTO current_status FROM releases_release
        WHERE id = NEW.release_id FOR SHARE;
    IF current_status IS DISTINCT FROM 'pending' THEN
        RAISE EXCEPTION USING MESSAGE = 'release ' || NEW.release_id
            || ': files are added only while it is pending (it is '
            || coalesce(current_status, 'missing') || ')';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER releases_releasefile_pending BEFORE INSERT ON releases_releasefile
    FOR EACH ROW EXECUTE FUNCTION releases_file_needs_pending();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS releases_releasefile_pending ON releases_releasefile;
DROP FUNCTION IF EXISTS releases_file_needs_pending();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("releases", "0002_immutable_and_search")]
    operations = [migrations.RunPython(forwards, backwards)]

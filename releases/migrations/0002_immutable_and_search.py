"""Published releases and their files refuse changes in the database itself; files are
added only while a release is pending; a full-text search column over the released
text (never the original).

The release row is read FOR SHARE when a file is added, so a publication or a block
committing at the same time is waited for rather than missed.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION releases_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published release and its files are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER releases_release_final BEFORE UPDATE OR DELETE ON releases_release
    FOR EACH ROW WHEN (OLD.status <> 'pending') EXECUTE FUNCTION releases_refuse_change();
CREATE TRIGGER releases_releasefile_final BEFORE UPDATE OR DELETE ON releases_releasefile
    FOR EACH ROW EXECUTE FUNCTION releases_refuse_change();

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

ALTER TABLE releases_release ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED;
CREATE INDEX releases_release_search_idx ON releases_release USING gin (search_vector);
"""
BACKWARD = """
DROP INDEX IF EXISTS releases_release_search_idx;
ALTER TABLE releases_release DROP COLUMN IF EXISTS search_vector;
DROP TRIGGER IF EXISTS releases_releasefile_pending ON releases_releasefile;
DROP FUNCTION IF EXISTS releases_file_needs_pending();
DROP TRIGGER IF EXISTS releases_releasefile_final ON releases_releasefile;
DROP TRIGGER IF EXISTS releases_release_final ON releases_release;
DROP FUNCTION IF EXISTS releases_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("releases", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

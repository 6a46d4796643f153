"""Releases and their files refuse TRUNCATE (which fires no row trigger), whoever holds
the privilege: published ones are immutable (migration 0002)."""

from django.db import migrations

FORWARD = """
CREATE TRIGGER releases_release_no_truncate BEFORE TRUNCATE ON releases_release
    FOR EACH STATEMENT EXECUTE FUNCTION declass_refuse_truncate();
CREATE TRIGGER releases_releasefile_no_truncate BEFORE TRUNCATE ON releases_releasefile
    FOR EACH STATEMENT EXECUTE FUNCTION declass_refuse_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS releases_releasefile_no_truncate ON releases_releasefile;
DROP TRIGGER IF EXISTS releases_release_no_truncate ON releases_release;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0002_immutable_and_search"),
        ("audit", "0003_no_truncate"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

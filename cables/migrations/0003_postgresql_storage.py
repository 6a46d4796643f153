"""PostgreSQL storage settings that the bulk import and the due sweep depend on.

- lz4 for the large text columns (PostgreSQL 14+): cable text is stored twice
  (raw and split into paragraphs), which makes TOAST compression the import's
  bottleneck; lz4 halves its cost.  Servers built without lz4 keep pglz.
- fill factor 50 on the narrow status table: the sweep's UPDATE then finds room
  on the same page and rewrites rows without touching any index (HOT updates).
Other databases are left as they are.
"""

from django.db import DatabaseError, migrations, transaction

TEXT_COLUMNS = [("cables_cable", "raw_text"), ("cables_paragraph", "text")]
STATUS_TABLE = "cables_cablestatus"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {STATUS_TABLE} SET (fillfactor = 50)")
    if connection.pg_version < 140000:
        return
    for table, column in TEXT_COLUMNS:
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4"
                )
        except DatabaseError:
            return  # server built without lz4: keep pglz


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {STATUS_TABLE} RESET (fillfactor)")
    if connection.pg_version < 140000:
        return
    for table, column in TEXT_COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("cables", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

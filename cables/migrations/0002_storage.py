"""Storage settings the bulk import depends on.

lz4 for the large text columns (PostgreSQL 14+): cable text is stored twice (raw and
split into paragraphs), which makes TOAST compression the import's bottleneck; lz4
halves its cost.  A server built without lz4 keeps pglz.
"""

from django.db import DatabaseError, migrations, transaction

TEXT_COLUMNS = [("cables_cable", "raw_text"), ("cables_paragraph", "text")]


def forwards(apps, schema_editor):
    for table, column in TEXT_COLUMNS:
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4"
                )
        except DatabaseError:
            return  # server built without lz4: keep pglz


def backwards(apps, schema_editor):
    for table, column in TEXT_COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("cables", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

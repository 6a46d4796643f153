"""Compress the large text columns with lz4 on PostgreSQL 14+.

Cable text is stored twice (raw and split into paragraphs), which makes TOAST
compression the bulk-import bottleneck; lz4 halves its cost.  Other databases,
and servers built without lz4, keep their default.
"""

from django.db import DatabaseError, migrations, transaction

COLUMNS = [("cables_cable", "raw_text"), ("cables_paragraph", "text")]


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    for table, column in COLUMNS:
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4"
                )
        except DatabaseError:
            return  # server built without lz4: keep pglz


def use_default(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    for table, column in COLUMNS:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("cables", "0002_initial")]
    operations = [migrations.RunPython(use_lz4, use_default)]

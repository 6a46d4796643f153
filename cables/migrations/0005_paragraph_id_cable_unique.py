"""A unique (id, cable) on paragraphs: what a proposal's combined foreign key refers to.

The id alone is already unique; the pair is a second index (about 31 bytes a paragraph:
some 370 MB at 12 million paragraphs) that lets PostgreSQL check a proposal's paragraph
and cable, and that they agree, with one lookup (redaction migration 0002).

Built CONCURRENTLY, then attached as the constraint, so that imports can go on while a
large table is indexed: the migration is not atomic for that reason.  A build that was
interrupted leaves an invalid index behind, which the first statement drops.
"""

from django.db import migrations, models

TABLE = "cables_paragraph"
NAME = "paragraph_id_cable_unique"
BUILD = f"{NAME}_build"

FORWARDS = [
    f"DROP INDEX CONCURRENTLY IF EXISTS {BUILD}",
    f"CREATE UNIQUE INDEX CONCURRENTLY {BUILD} ON {TABLE} (id, cable_id)",
    # Renames the index to the constraint's name.
    f"ALTER TABLE {TABLE} ADD CONSTRAINT {NAME} UNIQUE USING INDEX {BUILD}",
]
BACKWARDS = [f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {NAME}"]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cables", "0004_subject_marking"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARDS, BACKWARDS)],
            state_operations=[
                migrations.AddConstraint(
                    model_name="paragraph",
                    constraint=models.UniqueConstraint(
                        fields=("id", "cable"), name="paragraph_id_cable_unique"
                    ),
                ),
            ],
        ),
    ]

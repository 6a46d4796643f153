"""One foreign key for a proposal: (paragraph_id, cable_id) -> the paragraph's (id, cable_id).

It replaces the two keys Django made (cable_id -> cable, paragraph_id -> paragraph):
PostgreSQL checks a foreign key row by row, and proposals are written by the hundred
thousand, so one lookup a row instead of two.  It is stronger too: a proposal's cable
must be its paragraph's cable, and the cable exists because the paragraph's own key
says so.  Like Django's keys it is DEFERRABLE INITIALLY DEFERRED, with no ON DELETE
action: the ORM deletes proposals before their paragraph or cable (CASCADE in Python),
and a raw DELETE that would leave proposals behind is refused at COMMIT, as before.

Added NOT VALID and then validated, and only then are the old keys dropped: the rows are
never unchecked, and the validation does not block writes to a large table.  Not atomic
for that reason.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "redaction_proposedredaction"
NAME = "proposal_paragraph_cable_fk"

ADD = (
    f"ALTER TABLE {TABLE} ADD CONSTRAINT {NAME} FOREIGN KEY (paragraph_id, cable_id) "
    "REFERENCES cables_paragraph (id, cable_id) DEFERRABLE INITIALLY DEFERRED NOT VALID"
)
DROP = f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {NAME}"
VALIDATE = f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {NAME}"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cables", "0005_paragraph_id_cable_unique"),
        ("redaction", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(ADD, DROP),
        migrations.RunSQL(VALIDATE, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="proposedredaction",
            name="cable",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="proposals",
                to="cables.cable",
            ),
        ),
        migrations.AlterField(
            model_name="proposedredaction",
            name="paragraph",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="proposals",
                to="cables.paragraph",
            ),
        ),
    ]

"""The status rows a due sweep could still flag, indexed by date (issue 15).

A sweep that has nothing to flag read every status row dated up to its cutoff
through ``status_declass_date_idx`` and filtered them all away: 8.9 s at
2,500,000 cables, every 15 minutes.  This partial index holds only the rows not
flagged for their date (``due_for_date`` NULL or another date), so that sweep
reads nothing.  Built concurrently: the status table takes writes (the importer's
trigger, reviews) while a large archive's index is built.
"""

import django.db.models.lookups
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("workflow", "0012_subject_decisions"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="cablestatus",
            index=models.Index(
                condition=models.Q(
                    ("due_for_date__isnull", True),
                    models.Q(
                        django.db.models.lookups.Exact(
                            models.F("due_for_date"), models.F("declass_date")
                        ),
                        _negated=True,
                    ),
                    _connector="OR",
                ),
                fields=["declass_date"],
                name="status_unflagged_idx",
            ),
        ),
    ]

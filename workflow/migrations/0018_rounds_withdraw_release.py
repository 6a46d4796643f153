"""A re-review round may be opened because another cable's release withholds text this
cable's release published (``releases.recheck``): it names that cable, its release and
the paragraphs that withhold the text, and withdraws this cable's release while it is
open.  Such a round has no declassification date.  The releases are plain ids
(``releases`` stands above ``workflow``).  Every new column is nullable, so adding them
rewrites no row, and the sweep's insert (which names its columns) is unchanged; the
partial index holds the open rounds that withdraw a release, which the reading room
asks about for every release it lists.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cables", "0006_reviewed_text_unchanged"),
        ("workflow", "0017_fixed_search_path"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewround",
            name="withdrawn_release_id",
            field=models.BigIntegerField(
                blank=True,
                help_text="The release of this cable no longer served while the round is open.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="reviewround",
            name="withheld_in",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="cables.cable",
            ),
        ),
        migrations.AddField(
            model_name="reviewround",
            name="withheld_paragraphs",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="reviewround",
            name="withheld_release_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="reviewround",
            name="declass_date",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="reviewround",
            index=models.Index(
                condition=models.Q(
                    ("closed_at__isnull", True), ("withdrawn_release_id__isnull", False)
                ),
                fields=["withdrawn_release_id"],
                name="reviewround_withdrawing_idx",
            ),
        ),
    ]

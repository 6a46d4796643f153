"""Notices of a release withdrawn for re-review (``releases.recheck``): a kind more, no row
rewritten."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0018_rounds_withdraw_release"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("due", "Cables came due"),
                    ("returned", "Cable returned for rework"),
                    ("assigned", "Work assigned"),
                    ("withdrawn", "Release withdrawn for re-review"),
                ],
                default="due",
                max_length=16,
            ),
        ),
    ]

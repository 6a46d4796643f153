"""Notifications say what they are about (``kind``) and where the work is (``link``).

The due sweep was the only source of notices; a cable returned for rework and a batch
of work assigned now notify too (``workflow.notify``), each with its own e-mail subject
and a link to the page to open.  Existing rows are the sweep's: kind "due", no link.
Both columns have constant defaults, so adding them rewrites no row.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0015_admin_not_auditor"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("due", "Cables came due"),
                    ("returned", "Cable returned for rework"),
                    ("assigned", "Work assigned"),
                ],
                default="due",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="link",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
    ]

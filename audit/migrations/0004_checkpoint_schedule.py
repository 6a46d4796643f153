"""An hourly checkpoint of the audit chain (audit.checkpoint), editable in the admin."""

from datetime import UTC, datetime

from django.db import migrations

TASK = "audit.checkpoint"
NAME = "Audit chain checkpoint"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    if task_model.objects.filter(task=TASK).exists():
        return
    hourly, _ = interval_model.objects.get_or_create(every=1, period="hours")
    task_model.objects.create(
        name=NAME,
        task=TASK,
        interval=hourly,
        enabled=True,
        last_run_at=datetime(2000, 1, 1, tzinfo=UTC),
        description="Signs the audit chain's length and head hash and writes them outside "
        "the database (DECLASS_AUDIT_CHECKPOINT_PATH), so that audit_verify finds deleted tail rows.",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_no_truncate"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]

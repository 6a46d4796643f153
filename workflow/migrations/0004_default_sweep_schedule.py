"""A sensible default schedule for the due sweep, editable in the admin afterwards."""

from datetime import UTC, datetime

from django.db import migrations

TASK = "workflow.declass_due_sweep"
NAME = "Declassification due sweep"


def create_schedule(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    if task_model.objects.filter(task=TASK).exists():
        return
    every_15_minutes, _ = interval_model.objects.get_or_create(every=15, period="minutes")
    task_model.objects.create(
        name=NAME,
        task=TASK,
        interval=every_15_minutes,
        enabled=True,
        # In the past, so that a freshly started beat runs the first sweep at once.
        last_run_at=datetime(2000, 1, 1, tzinfo=UTC),
        description="Flags cables whose declassification date has passed or falls within "
        "the horizon, moves them to 'due' and notifies their reviewers.",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0003_queue_index_triggers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]

"""Decide once (issue 14): the learned suggestions' versions, the suggestions shown,
where a decision came from (a near-duplicate, the model, a supervisor's propagation)
and quality control's blind re-decisions; the retraining's beat schedule.

Where a decision came from and the QC re-decisions are a record, like the decisions:
INSERT only (a trigger refuses UPDATE and DELETE; TRUNCATE as for the other record
tables)."""

from datetime import UTC, datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TASK = "workflow.learning_retrain"
NAME = "Learned suggestions: retrain when decisions changed"

FORWARD = """
CREATE FUNCTION workflow_record_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: its rows are a record', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_decisionorigin_no_update BEFORE UPDATE OR DELETE
    ON workflow_decisionorigin FOR EACH ROW EXECUTE FUNCTION workflow_record_append_only();
CREATE TRIGGER workflow_decisionorigin_no_truncate BEFORE TRUNCATE
    ON workflow_decisionorigin FOR EACH STATEMENT EXECUTE FUNCTION declass_refuse_truncate();
CREATE TRIGGER workflow_qcreview_no_update BEFORE UPDATE OR DELETE
    ON workflow_qcreview FOR EACH ROW EXECUTE FUNCTION workflow_record_append_only();
CREATE TRIGGER workflow_qcreview_no_truncate BEFORE TRUNCATE
    ON workflow_qcreview FOR EACH STATEMENT EXECUTE FUNCTION declass_refuse_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS workflow_qcreview_no_truncate ON workflow_qcreview;
DROP TRIGGER IF EXISTS workflow_qcreview_no_update ON workflow_qcreview;
DROP TRIGGER IF EXISTS workflow_decisionorigin_no_truncate ON workflow_decisionorigin;
DROP TRIGGER IF EXISTS workflow_decisionorigin_no_update ON workflow_decisionorigin;
DROP FUNCTION IF EXISTS workflow_record_append_only();
"""


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
        description="Trains a new version of the learned suggestions when the decisions "
        "changed since the last one (and enough exist: DECLASS_LEARNING_MIN_DECISIONS).",
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cables", "0004_subject_marking"),
        ("workflow", "0008_band_index_rebuild"),
        ("audit", "0003_no_truncate"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SuggestionModel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("training_size", models.PositiveIntegerField()),
                ("decisions_digest", models.CharField(max_length=64)),
                ("classes", models.JSONField(blank=True, default=list)),
                ("labels", models.JSONField(blank=True, default=list)),
                ("metrics", models.JSONField(blank=True, default=dict)),
                ("sklearn_version", models.CharField(blank=True, max_length=32)),
                ("fitted", models.BinaryField()),
                ("fitted_hmac", models.CharField(max_length=64)),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="QCReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("release", "Release in full"),
                            ("redact", "Release with redactions"),
                            ("withhold", "Withhold in full"),
                            ("refer", "Refer to another agency"),
                        ],
                        max_length=16,
                    ),
                ),
                ("spans", models.JSONField(blank=True, default=list)),
                ("label", models.CharField(blank=True, max_length=120)),
                ("referral_agency", models.CharField(blank=True, max_length=120)),
                ("agrees", models.BooleanField()),
                ("decided_at", models.DateTimeField()),
                (
                    "decision",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="qc_review",
                        to="workflow.decision",
                    ),
                ),
                (
                    "reviewer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "permissions": [
                    (
                        "supervise_review",
                        "Supervise review: propagate decisions, see agreement rates",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SuggestionShown",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("reuse", "Near-duplicate's decision"),
                            ("learned", "Learned suggestion"),
                        ],
                        max_length=8,
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("release", "Release in full"),
                            ("redact", "Release with redactions"),
                            ("withhold", "Withhold in full"),
                            ("refer", "Refer to another agency"),
                        ],
                        max_length=16,
                    ),
                ),
                ("label", models.CharField(blank=True, max_length=120)),
                ("spans", models.JSONField(blank=True, default=list)),
                ("confidence", models.FloatField(blank=True, null=True)),
                ("similarity", models.FloatField(blank=True, null=True)),
                ("shown_at", models.DateTimeField()),
                (
                    "cable",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cables.cable",
                    ),
                ),
                (
                    "model_version",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workflow.suggestionmodel",
                    ),
                ),
                (
                    "paragraph",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cables.paragraph",
                    ),
                ),
                (
                    "source_decision",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workflow.decision",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="DecisionOrigin",
            fields=[
                (
                    "decision",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="origin",
                        serialize=False,
                        to="workflow.decision",
                    ),
                ),
                (
                    "via",
                    models.CharField(
                        choices=[
                            ("shown", "Decided while a suggestion was shown"),
                            ("reuse", "Accepted a near-duplicate's decision"),
                            ("learned", "Accepted the learned suggestion"),
                            ("propagated", "Propagated by a supervisor"),
                            ("batch", "Confirmed with the cable's batch"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "source_decision",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workflow.decision",
                    ),
                ),
                (
                    "model_version",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workflow.suggestionmodel",
                    ),
                ),
                (
                    "suggestion",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="workflow.suggestionshown",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="suggestionshown",
            index=models.Index(
                fields=["user", "paragraph", "shown_at"], name="suggestionshown_user_idx"
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(create_schedule, remove_schedule),
    ]

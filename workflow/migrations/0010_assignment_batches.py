"""Assignment batches (workflow.assignment): who gave which permission on which cables
to whom, and the "supervisor" role that assigns them with the admin; an index on the
cable permission tables by (holder, cable), which revoking a batch needs.

The role's permissions are written out here, not read from workflow/roles.py, so that
this migration does the same thing whatever the roles become later.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ASSIGNMENT_PERMISSIONS = [
    "workflow.add_assignmentbatch",
    "workflow.change_assignmentbatch",
    "workflow.view_assignmentbatch",
]
ROLES_THAT_ASSIGN = ["admin", "supervisor"]


def _permissions(apps, dotted_names):
    permission_model = apps.get_model("auth", "Permission")
    for dotted in dotted_names:
        app_label, codename = dotted.split(".")
        yield permission_model.objects.get(content_type__app_label=app_label, codename=codename)


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    wanted = list(_permissions(apps, ASSIGNMENT_PERMISSIONS))
    for name in ROLES_THAT_ASSIGN:
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(*wanted)


def backwards(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    admin = group_model.objects.filter(name="admin").first()
    if admin is not None:
        admin.permissions.remove(*_permissions(apps, ASSIGNMENT_PERMISSIONS))
    group_model.objects.filter(name="supervisor").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("cables", "0004_subject_marking"),
        ("workflow", "0009_decide_once"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AssignmentBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "permission",
                    models.CharField(
                        choices=[("view", "View"), ("review", "Review"), ("release", "Release")],
                        max_length=8,
                    ),
                ),
                ("query", models.JSONField(blank=True, default=dict)),
                ("by_selection", models.BooleanField(default=False)),
                ("limit", models.PositiveIntegerField(blank=True, null=True)),
                ("cable_count", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField()),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "assigned_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "assignee_group",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignment_batches",
                        to="auth.group",
                    ),
                ),
                (
                    "assignee_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignment_batches",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "assignment batches",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("assignee_user__isnull", True),
                            ("assignee_group__isnull", True),
                            _connector="XOR",
                        ),
                        name="assignmentbatch_one_assignee",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AssignmentBatchCable",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "batch",
                        "cable",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rows",
                        to="workflow.assignmentbatch",
                    ),
                ),
                (
                    "cable",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="cables.cable",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["cable", "batch"], name="assignmentcable_cable_idx")
                ],
            },
        ),
        # The queue index's triggers look up a removed permission row's (holder, cable):
        # with only the (holder, permission, cable) index each lookup read all the
        # holder's rows, so revoking a batch of n cables cost n times their number.
        migrations.AddIndex(
            model_name="cableuserobjectpermission",
            index=models.Index(
                fields=["user", "content_object"], name="cableuserperm_user_cable_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="cablegroupobjectpermission",
            index=models.Index(
                fields=["group", "content_object"], name="cablegroupperm_group_cable_idx"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]

"""Separation of duties: a "security officer" role changes clearances and group
membership; the "admin" role no longer changes clearances (see workflow/roles.py).

The permissions are written out here, not read from workflow/roles.py, so that
this migration does the same thing whatever the roles become later.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SECURITY_OFFICER = "security officer"
OFFICER_PERMISSIONS = [
    "workflow.add_clearance",
    "workflow.change_clearance",
    "workflow.view_clearance",
    "auth.view_user",
    "auth.change_user",
    "auth.view_group",
]
TAKEN_FROM_ADMIN = ["workflow.add_clearance", "workflow.change_clearance"]


def _permissions(apps, dotted_names):
    permission_model = apps.get_model("auth", "Permission")
    for dotted in dotted_names:
        app_label, codename = dotted.split(".")
        yield permission_model.objects.get(content_type__app_label=app_label, codename=codename)


def _ensure_permissions(apps):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def forwards(apps, schema_editor):
    _ensure_permissions(apps)
    group_model = apps.get_model("auth", "Group")
    officer, _ = group_model.objects.get_or_create(name=SECURITY_OFFICER)
    officer.permissions.add(*_permissions(apps, OFFICER_PERMISSIONS))
    admin = group_model.objects.filter(name="admin").first()
    if admin is not None:
        admin.permissions.remove(*_permissions(apps, TAKEN_FROM_ADMIN))


def backwards(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    group_model.objects.filter(name=SECURITY_OFFICER).delete()
    admin = group_model.objects.filter(name="admin").first()
    if admin is not None:
        admin.permissions.add(*_permissions(apps, TAKEN_FROM_ADMIN))


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0005_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]

"""Create the role groups with their model permissions (see workflow/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from workflow.roles import ROLES


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0004_default_sweep_schedule"),
        ("audit", "0001_initial"),
        ("cables", "0002_storage"),
        ("redaction", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]

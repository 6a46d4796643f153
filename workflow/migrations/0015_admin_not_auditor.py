"""The admin role no longer reads the audit trail: auditors do (``workflow.roles``).

Why: the trail names every cable a decision, grant or sweep touched, whatever the reader's
grants, while the admin's own pages name only the cables the admin may view.  Idempotent:
it removes the permission from the group whether or not migration 0005 gave it.
"""

from django.db import migrations

PERMISSION = ("audit", "view_auditevent")


def _permission(apps):  # type: ignore[no-untyped-def]
    return (
        apps.get_model("auth", "Permission")
        .objects.filter(content_type__app_label=PERMISSION[0], codename=PERMISSION[1])
        .first()
    )


def take_from_admin(apps, schema_editor):  # type: ignore[no-untyped-def]
    permission = _permission(apps)
    group = apps.get_model("auth", "Group").objects.filter(name="admin").first()
    if permission is not None and group is not None:
        group.permissions.remove(permission)


def give_back_to_admin(apps, schema_editor):  # type: ignore[no-untyped-def]
    permission = _permission(apps)
    group = apps.get_model("auth", "Group").objects.filter(name="admin").first()
    if permission is not None and group is not None:
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0014_queue_touched")]
    operations = [migrations.RunPython(take_from_admin, give_back_to_admin)]

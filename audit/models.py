"""The audit trail's one table: append-only, chained by hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One entry of the append-only audit trail, chained by hash so tampering shows.

    ``hash`` covers this entry's content and the previous entry's hash; cable and
    paragraph are kept as plain ids so that no cascade ever rewrites the trail.
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    cable_id = models.BigIntegerField(null=True, blank=True)
    cable_ref = models.CharField(max_length=64, blank=True)
    paragraph_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["cable_id", "id"], name="audit_cable_idx"),
            models.Index(fields=["action", "id"], name="audit_action_idx"),
            models.Index(fields=["at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        raise TypeError("the audit trail is append-only: use audit.trail.audit_record")

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("the audit trail is append-only")


# The tables whose rows decide who may read what, watched by audit migration 0006's
# triggers, with what a row of each gives.
ACCESS_TABLES: dict[str, str] = {
    "workflow_clearance": "Clearance",
    "auth_user_groups": "Role membership",
    "auth_user": "User flags",
    "auth_user_user_permissions": "Permission of a user",
    "auth_group_permissions": "Permission of a role",
    "auth_group": "Role",
    "workflow_cableuserobjectpermission": "Cable grant to a user",
    "workflow_cablegroupobjectpermission": "Cable grant to a role",
    "guardian_userobjectpermission": "Object permission of a user",
    "guardian_groupobjectpermission": "Object permission of a role",
}


class AccessChange(models.Model):
    """A change of who may read what, as the database itself saw it.

    Rows are written only by the triggers of migration 0006 (on clearances, role
    membership, model and object permissions and the user flags), whoever made the
    change and however: the security officer's forms, ``QuerySet.update()``, raw SQL
    or a psql session.  The application's signals and ``workflow.permissions`` record
    the product's own chained events; this table is what neither of them can miss.
    ``before`` and ``after`` are the whole row (``auth_user`` without its password
    hash), kept as jsonb so that a deleted user or group still shows what it was.
    """

    class Operation(models.TextChoices):
        INSERT = "INSERT", "Added"
        UPDATE = "UPDATE", "Changed"
        DELETE = "DELETE", "Removed"

    at = models.DateTimeField()
    db_role = models.CharField(max_length=63)
    session_role = models.CharField(max_length=63)
    table_name = models.CharField(max_length=63)
    operation = models.CharField(max_length=6, choices=Operation.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    txid = models.BigIntegerField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["table_name", "-id"], name="audit_access_table_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.operation} {self.table_name}"

    def save(self, *args: object, **kwargs: object) -> None:
        raise TypeError("access changes are written by the database's triggers only")

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("access changes are append-only")

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

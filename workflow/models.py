"""Workflow models: object permissions on cables, sweep runs and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cables.models import Cable


class CableUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK permission table: lists filter by join, not by generic object_pk text."""

    content_object = models.ForeignKey(Cable, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission", "content_object"])]


class CableGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Cable, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["group", "permission", "content_object"])]


class SweepRun(models.Model):
    """One run of the due sweep: when, for which horizon, and how many it flagged."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        SKIPPED = "skipped", "Skipped (another sweep held the lock)"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateField()
    horizon_days = models.PositiveIntegerField()
    flagged = models.PositiveIntegerField(default=0)
    notified_users = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sweep {self.started_at:%Y-%m-%d %H:%M} ({self.status}, {self.flagged} flagged)"


class Notification(models.Model):
    """An in-app notice for one user, e.g. that cables assigned to them came due."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    sweep_run = models.ForeignKey(SweepRun, null=True, blank=True, on_delete=models.SET_NULL)
    message = models.TextField()
    cable_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.message

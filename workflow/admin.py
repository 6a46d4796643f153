"""Admin for workflow history (sweep runs, notifications) and clearances."""

from __future__ import annotations

from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from workflow.models import Clearance, Notification, SweepRun


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "as_of",
        "horizon_days",
        "status",
        "flagged",
        "notified_users",
    )
    list_filter = ("status",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "cable_count", "message", "read_at", "emailed_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "message")


@admin.register(Clearance)
class ClearanceAdmin(admin.ModelAdmin):
    list_display = ("user", "level")
    list_filter = ("level",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)

"""Admin for workflow records: sweep runs and notifications (read-only history)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from workflow.models import Notification, SweepRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the service, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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

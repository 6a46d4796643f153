"""Admin for the audit trail: read only, like every record the service writes."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent
from config.admin_lookups import DeclaredLookupsOnly


class ReadOnlyAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """History is written by the service, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_name", "action", "cable_ref", "paragraph_id")
    list_filter = ("action",)
    search_fields = ("cable_ref", "actor_name")
    show_full_result_count = False

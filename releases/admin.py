"""Releases in the admin: read-only (a release changes only through its services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from config.admin_lookups import DeclaredLookupsOnly
from releases.models import Release


@admin.register(Release)
class ReleaseAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "reference_id",
        "version",
        "status",
        "stamp",
        "approved_by",
        "published_at",
    )
    list_filter = ("status",)
    search_fields = ("reference_id",)
    exclude = ("search_text",)
    list_select_related = ("approved_by",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

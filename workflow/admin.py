"""Admin for workflow history (sweep runs, notifications), clearances and users' roles.

Separation of duties: clearances and group membership are changed by the security
officer role (``workflow.roles``); nobody changes their own, and every change goes
through ``workflow.permissions`` (``clearance_set``, ``groups_set``), which
refuses self-changes and audits each with before and after.  The admin pages that
show cable text live in ``workflow.cable_admin``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.admin import ReadOnlyAdmin
from workflow import (
    cable_admin,  # noqa: F401  (registers the admin pages showing text)
    permissions,
)
from workflow.models import Clearance, Notification, SweepRun

SELF_CHANGE = "Separation of duties: nobody changes their own clearance; ask a security officer."


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

    def get_readonly_fields(self, request: HttpRequest, obj: Clearance | None = None) -> Any:
        return ("user",) if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Clearance | None = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False  # one's own clearance: view only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Clearance | None = None) -> bool:
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        base = super().get_form(request, obj, change, **kwargs)

        class ClearanceForm(base):  # type: ignore[misc,valid-type]
            def clean(self) -> dict[str, Any]:
                data = super().clean()
                user = data.get("user") or getattr(self.instance, "user", None)
                if user is not None and user.pk == request.user.pk:
                    raise forms.ValidationError(SELF_CHANGE)
                return data

        return ClearanceForm

    def save_model(self, request: HttpRequest, obj: Clearance, form: Any, change: bool) -> None:
        saved = permissions.clearance_set(actor=request.user, user=obj.user, level=obj.level)
        if saved is not None:
            obj.pk, obj._state.adding = saved.pk, False

    def delete_model(self, request: HttpRequest, obj: Clearance) -> None:
        permissions.clearance_set(actor=request.user, user=obj.user, level=None)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Clearance]) -> None:
        with transaction.atomic():  # all or none: one's own among them refuses them all
            for clearance in queryset.select_related("user"):
                permissions.clearance_set(actor=request.user, user=clearance.user, level=None)


User = get_user_model()


class UserAdmin(DjangoUserAdmin):
    """Users, with their groups (roles) changed only through ``groups_set``: audited,
    never one's own.  Superuser status and permissions given one by one are a
    superuser's to change; everyone else gives rights by role."""

    SELF_LOCKED = ("groups", "user_permissions", "is_superuser", "is_staff", "is_active")
    SUPERUSER_ONLY = ("user_permissions", "is_superuser")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += [f for f in self.SELF_LOCKED if f not in fields]
        if not request.user.is_superuser:
            fields += [f for f in self.SUPERUSER_ONLY if f not in fields]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # a superuser's account is a superuser's to change
        return super().has_change_permission(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        groups = form.cleaned_data.pop("groups", None)  # set below, audited, not by the form
        super().save_related(request, form, formsets, change)
        if groups is not None:
            permissions.groups_set(actor=request.user, user=form.instance, groups=groups)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)

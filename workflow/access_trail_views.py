"""The audit page's second tab: the changes of access the database itself recorded.

``audit.models.AccessChange`` rows are written by triggers (audit migration 0006),
so they hold ids: a user, a role, a permission, a cable.  This page names them:
each page resolves every id it shows in one query per kind (users, roles,
permissions, content types, cables), however many rows it lists.  A user or role
deleted since shows as its id, "deleted"; a deleted user's own row (``auth_user``)
still carries the name.  Readers are those who may read the audit trail, with the
audit page's own check (``audit.view_auditevent``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import ACCESS_TABLES, AccessChange
from cables.models import Cable, ClassificationLevel
from workflow.review_views import paginated

PAGE_SIZE = 100
USER_FLAGS = (("is_superuser", "superuser"), ("is_staff", "staff"), ("is_active", "active"))
# The tables whose rows name a role (a group) as the holder, not a user.
ROLE_HOLDERS = {
    "auth_group_permissions",
    "guardian_groupobjectpermission",
    "workflow_cablegroupobjectpermission",
}
CABLE_GRANTS = {"workflow_cableuserobjectpermission", "workflow_cablegroupobjectpermission"}
GENERIC_GRANTS = {"guardian_userobjectpermission", "guardian_groupobjectpermission"}


class AccessChangeFilterForm(forms.Form):
    table = forms.ChoiceField(
        required=False,
        label="Table",
        choices=[
            ("", "All tables"),
            *((name, f"{label} ({name})") for name, label in ACCESS_TABLES.items()),
        ],
    )


@dataclass
class Names:
    """What the ids on one page stand for, each kind looked up once."""

    users: dict[int, str] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    permissions: dict[int, str] = field(default_factory=dict)
    content_types: dict[int, tuple[str, str]] = field(default_factory=dict)
    cables: dict[int, str] = field(default_factory=dict)

    def user(self, pk: Any) -> str:
        return self.users.get(pk) or f"user #{pk} (deleted)"

    def group(self, pk: Any) -> str:
        return self.groups.get(pk) or f"#{pk} (deleted)"

    def permission(self, pk: Any) -> str:
        return self.permissions.get(pk) or f"permission #{pk} (deleted)"

    def cable(self, pk: Any) -> str:
        return f"cable {self.cables[pk]}" if pk in self.cables else f"cable #{pk} (deleted)"

    def obj(self, content_type_id: Any, object_pk: Any) -> str:
        app_label, model = self.content_types.get(content_type_id, ("?", "?"))
        if (app_label, model) == ("cables", "cable") and _int(object_pk) in self.cables:
            return self.cable(_int(object_pk))
        return f"{app_label}.{model} #{object_pk}"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _states(rows: Iterable[AccessChange]) -> Iterable[tuple[str, dict[str, Any]]]:
    for row in rows:
        for state in (row.before, row.after):
            if isinstance(state, dict):
                yield row.table_name, state


def names_for(rows: list[AccessChange]) -> Names:
    """Every id the rows name, resolved with one query per kind (none for a kind absent)."""
    wanted: dict[str, set[Any]] = {k: set() for k in ("user", "group", "perm", "ct", "cable")}
    generic: list[tuple[Any, Any]] = []
    for table, state in _states(rows):
        if table == "auth_user":
            continue  # the row names its user itself
        for key, kind in (("user_id", "user"), ("group_id", "group"), ("permission_id", "perm")):
            if state.get(key) is not None:
                wanted[kind].add(state[key])
        if table in CABLE_GRANTS:
            wanted["cable"].add(state.get("content_object_id"))
        elif table in GENERIC_GRANTS:
            wanted["ct"].add(state.get("content_type_id"))
            generic.append((state.get("content_type_id"), state.get("object_pk")))
    names = Names()
    if wanted["ct"]:
        names.content_types = {
            pk: (app_label, model)
            for pk, app_label, model in ContentType.objects.filter(pk__in=wanted["ct"]).values_list(
                "pk", "app_label", "model"
            )
        }
    for content_type_id, object_pk in generic:
        if names.content_types.get(content_type_id) == ("cables", "cable"):
            wanted["cable"].add(_int(object_pk))
    if wanted["user"]:
        names.users = dict(
            get_user_model().objects.filter(pk__in=wanted["user"]).values_list("pk", "username")
        )
    if wanted["group"]:
        names.groups = dict(Group.objects.filter(pk__in=wanted["group"]).values_list("pk", "name"))
    if wanted["perm"]:
        names.permissions = {
            pk: f"{app_label}.{codename}"
            for pk, app_label, codename in Permission.objects.filter(
                pk__in=wanted["perm"]
            ).values_list("pk", "content_type__app_label", "codename")
        }
    cable_ids = {pk for pk in wanted["cable"] if isinstance(pk, int)}
    if cable_ids:
        names.cables = dict(
            Cable.objects.filter(pk__in=cable_ids).values_list("pk", "reference_id")
        )
    return names


def _level(value: Any) -> str:
    try:
        return ClassificationLevel(value).label
    except ValueError:
        return f"level {value}"


def holder(table: str, state: dict[str, Any], names: Names) -> str:
    """Whose access the row is: a user, or a role (a group)."""
    if table == "auth_user":
        return str(state.get("username", ""))
    if table in ROLE_HOLDERS:
        return f"role {names.group(state.get('group_id'))}"
    if "user_id" in state:
        return names.user(state["user_id"])
    return ""


def granted(table: str, state: dict[str, Any], names: Names) -> str:
    """What the row gives its holder, in words: a level, a role, a permission on what."""
    if table == "workflow_clearance":
        return f"clearance {_level(state.get('level'))}"
    if table == "auth_user_groups":
        return f"role {names.group(state.get('group_id'))}"
    if table == "auth_group":
        return f"role named {state.get('name', '')!r}"
    if table == "auth_user":
        return ", ".join(
            f"{label}: {'yes' if state.get(key) else 'no'}" for key, label in USER_FLAGS
        )
    if table in ("auth_user_user_permissions", "auth_group_permissions"):
        return names.permission(state.get("permission_id"))
    if table in CABLE_GRANTS:
        target = names.cable(state.get("content_object_id"))
        return f"{names.permission(state.get('permission_id'))} on {target}"
    if table in GENERIC_GRANTS:
        target = names.obj(state.get("content_type_id"), state.get("object_pk"))
        return f"{names.permission(state.get('permission_id'))} on {target}"
    return ""


@dataclass(frozen=True)
class ShownChange:
    """One row of the page: the stored row and what it says in words."""

    change: AccessChange
    table: str
    holder: str
    before: str
    after: str


def shown(rows: list[AccessChange]) -> list[ShownChange]:
    names = names_for(rows)
    result = []
    for row in rows:
        states = [s for s in (row.after, row.before) if isinstance(s, dict)]
        holders = dict.fromkeys(holder(row.table_name, s, names) for s in reversed(states))
        result.append(
            ShownChange(
                change=row,
                table=ACCESS_TABLES.get(row.table_name, row.table_name),
                holder=" → ".join(h for h in holders if h),
                before=granted(row.table_name, row.before, names) if row.before else "",
                after=granted(row.table_name, row.after, names) if row.after else "",
            )
        )
    return result


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
def access_changes(request: HttpRequest) -> HttpResponse:
    """Newest first, a page at a time, optionally one table's changes only."""
    form = AccessChangeFilterForm(request.GET or None)
    rows = AccessChange.objects.order_by("-id")
    if form.is_valid() and form.cleaned_data["table"]:
        rows = rows.filter(table_name=form.cleaned_data["table"])
    page = paginated(rows, PAGE_SIZE, request.GET.get("page"))
    changes = shown(list(page.object_list))
    return render(
        request,
        "workflow/audit_access_changes.html",
        {"form": form, "page": page, "changes": changes},
    )

"""Every django-guardian call lives here: granting, revoking and querying cable permissions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import assign_perm

from cables.models import Cable
from workflow.models import CableGroupObjectPermission, CableUserObjectPermission

REVIEW = "review_cable"
RELEASE = "release_cable"
VIEW = "view_cable"


def _permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="cables", codename=codename)


def grant(codename: str, who: object, cables: Cable | QuerySet[Cable] | Iterable[Cable]) -> None:
    """Grant one permission on one cable or many (many: one bulk insert)."""
    assign_perm(f"cables.{codename}", who, cables)


def reviewer_counts(cables: QuerySet[Cable]) -> dict[int, int]:
    """For each user who may review any of these cables (directly or by group): how many."""
    perm = _permission(REVIEW)
    direct = CableUserObjectPermission.objects.filter(permission=perm, content_object__in=cables)
    pairs = set(direct.values_list("user_id", "content_object_id"))
    by_group = CableGroupObjectPermission.objects.filter(
        permission=perm, content_object__in=cables
    ).values_list("group_id", "content_object_id")
    group_cables: dict[int, set[int]] = {}
    for group_id, cable_id in by_group:
        group_cables.setdefault(group_id, set()).add(cable_id)
    if group_cables:
        members = Group.objects.filter(pk__in=group_cables).values_list("pk", "user")
        for group_id, user_id in members:
            if user_id is not None:
                pairs.update((user_id, c) for c in group_cables[group_id])
    return dict(Counter(user_id for user_id, _ in pairs))


def cables_for_user(user: object, codename: str = VIEW) -> QuerySet[Cable]:
    """Cables the user holds ``codename`` on (directly or through a group), in one query.

    Superusers see everything; anonymous users nothing.  The filter is an
    indexed subquery on guardian's direct-FK tables, never a per-row check.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Cable.objects.none()
    if getattr(user, "is_superuser", False):
        return Cable.objects.all()
    perm = _permission(codename)
    direct = CableUserObjectPermission.objects.filter(user=user, permission=perm).values(
        "content_object_id"
    )
    by_group = CableGroupObjectPermission.objects.filter(group__user=user, permission=perm).values(
        "content_object_id"
    )
    return Cable.objects.filter(Q(pk__in=direct) | Q(pk__in=by_group))


def get_cable_for_user(user: object, pk: int, codename: str = VIEW) -> Cable:
    """Fetch and authorise in one call: a missing cable and a forbidden one give the same 404."""
    return get_object_or_404(cables_for_user(user, codename), pk=pk)

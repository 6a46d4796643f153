"""Model permissions for what is not granted per cable: redaction rules and imports.

Cables themselves are authorised per object by ``workflow.permissions`` inside
each view (404 for missing and forbidden alike), never here.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


class RulePermission(BasePermission):
    """Rules are for rule editors: reading needs view, creating add, anything else change."""

    message = "Redaction rules are managed by rule editors."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            codename = "view_redactionrule"
        elif request.method == "POST" and getattr(view, "creates_rules", False):
            codename = "add_redactionrule"
        else:
            codename = "change_redactionrule"
        return bool(request.user and request.user.has_perm(f"redaction.{codename}"))


class RuleHistoryPermission(BasePermission):
    """A rule's past versions (old terms, who changed them) need ``view_ruleversion``."""

    message = "A rule's history is for rule editors."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("redaction.view_ruleversion"))


class ImportPermission(BasePermission):
    """Importing cables needs what the admin's upload needs: the right to change cables."""

    message = "Importing cables needs the permission to change cables."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("cables.change_cable"))

"""The cable page: what the workflow lets a user see of one cable."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workflow import permissions


@login_required
def cable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A cable's header, declassification status and paragraphs (404 if not visible)."""
    cable = permissions.get_cable_for_user(request.user, pk)
    clearance = permissions.clearance_level(request.user)
    # Paragraphs above the user's clearance are never loaded, let alone sent.
    paragraphs = cable.paragraphs.filter(level__lte=clearance).order_by("ordinal")
    hidden = cable.paragraphs.filter(level__gt=clearance).count()
    return render(
        request,
        "cables/cable_detail.html",
        {"cable": cable, "paragraphs": paragraphs, "hidden": hidden},
    )

"""Cable pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workflow import permissions


@login_required
def cable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A cable's header, declassification status and paragraphs (404 if not visible)."""
    cable = permissions.get_cable_for_user(request.user, pk)
    paragraphs = cable.paragraphs.order_by("ordinal")
    return render(request, "cables/cable_detail.html", {"cable": cable, "paragraphs": paragraphs})

"""The cable page: what the workflow lets a user see of one cable."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from workflow import access, flag_help, permissions


@login_required
def cable_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A cable's header, declassification status and paragraphs (404 if not visible)."""
    cable = permissions.get_cable_for_user(request.user, pk)
    # Paragraphs the user may not read (above their clearance) are never loaded, let
    # alone sent: workflow.access says which, in the query.
    paragraphs = access.cleared_paragraphs(request.user, cable).order_by("ordinal")
    hidden = access.paragraphs_hidden(request.user, cable)
    return render(
        request,
        "cables/cable_detail.html",
        {
            "cable": cable,
            "subject": access.subject_for(request.user, cable),
            # The TAGS go with the subject (they repeat its words): None where it is hidden.
            "tags": access.tags_for(request.user, cable),
            # So do the REF lines (they name the referenced cable by its subject).
            "references": access.references_for(request.user, cable),
            "paragraphs": paragraphs,
            "hidden": hidden,
            # Each flag and warning with what it means (tooltip, help page).
            "flags": flag_help.explain_all(cable.declass_flags),
            "warnings": flag_help.explain_all(cable.declass_warnings),
            # The parser's warnings quote the raw text: cut to their codes for whoever may
            # not read it (workflow.access.parse_warnings_for).
            "parse_warnings": flag_help.explain_all(
                access.parse_warnings_for(request.user, cable, hidden=hidden)
            ),
        },
    )

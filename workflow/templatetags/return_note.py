"""Why a cable was returned for rework, for its review page (``review_cable.html``).

The page asks ``{% return_note cable as returned %}``, so that the review view passes
nothing new: who returned the cable, when, and the note where the reader is cleared for
the whole cable (``workflow.review.latest_return``).  No query outside rework; in it,
one (the page's own count of paragraphs above the reader's clearance is reused).
"""

from __future__ import annotations

from typing import Any

from django import template

from workflow.review import ReturnNote, latest_return

register = template.Library()


@register.simple_tag(takes_context=True)
def return_note(context: template.Context, cable: Any) -> ReturnNote | None:
    """The latest return of ``cable`` as the page's user (``request.user``) reads it."""
    page = context.get("page")
    hidden = getattr(page, "hidden", None)
    return latest_return(context["request"].user, cable, hidden=hidden)

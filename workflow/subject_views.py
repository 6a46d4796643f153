"""The subject's decision on the review page (``workflow.subject``): one thin view.

Authorises as the paragraphs' decisions do (404 for a cable the user does not review
and for a subject above their clearance), records through the service, and answers the
page again (with a message) or, over htmx, the subject portion (409 when someone
decided it meanwhile, 422 for another refusal).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from workflow import access, permissions
from workflow.subject import (
    ConcurrentSubjectDecision,
    SubjectDecisionError,
    subject_decision_record,
)


def _based_on(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise Http404("No such decision.")
    return int(raw)


@require_POST
@login_required
def decide_subject(request: HttpRequest, pk: int) -> HttpResponse:
    """Release or withhold the cable's subject (POST kind, label, based_on, note)."""
    cable = permissions.get_cable_for_user(request.user, pk, permissions.REVIEW)
    if not access.may_read_subject(request.user, cable):
        raise Http404("No subject matches the given query.")
    error, status = "", 200
    try:
        subject_decision_record(
            user=request.user,
            cable=cable,
            kind=request.POST.get("kind", ""),
            based_on=_based_on(request.POST.get("based_on", "")),
            label=request.POST.get("label", ""),
            note=request.POST.get("note", "")[:2000],
        )
    except ConcurrentSubjectDecision as exc:
        error, status = str(exc), 409
    except SubjectDecisionError as exc:
        error, status = str(exc), 422
    if not request.htmx:
        (messages.error if error else messages.success)(
            request, error or "Subject decision recorded."
        )
        return redirect("workflow:review", cable.pk)
    html = render_to_string(
        "workflow/_subject_portion.html",
        {"cable": cable, "subject_error": error},
        request=request,
    )
    response = HttpResponse(html, status=status)
    if error:
        response["HX-Reswap"] = "outerHTML"
    return response

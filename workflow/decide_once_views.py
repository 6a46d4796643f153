"""Decide once, as people use it (issue 14): accepting a suggestion from the review page,
a supervisor's propagation, quality control's second look and agreement rates, and
the triage batch a reviewer reads and confirms.

Thin views over ``workflow.reuse``, ``workflow.qc`` and ``workflow.triage``, which check
the permissions again and audit what they record.  A cable or decision the user may
not act on is a 404, as on every page.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cables.models import Cable, Paragraph
from workflow import access, permissions, qc, reuse, triage
from workflow.forms import DecisionForm
from workflow.models import Decision
from workflow.review import ConcurrentDecision, ReviewError, current_decisions
from workflow.review_views import _paragraph_for, _spans, decided_answer, may_supervise
from workflow.selectors import CableFilters, queue_cables, queue_page

ACCEPTS = ("reuse", "learned")


# -- the review page's one-key accept ---------------------------------------------------


def _based_on(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise Http404("No such decision.")
    return int(raw)


@require_POST
@login_required
def accept_suggestion(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the paragraph's suggestion (the `s` key): a near-duplicate's decision as it
    stands now (looked up again, never taken from the form), or the model's suggestion
    last shown (a suggested redaction takes the rules' proposed spans).  Recorded through
    ``reuse.suggested_decision_record``: the source decision and the model's version go
    with the decision."""
    paragraph = _paragraph_for(request, pk)
    accept = request.POST.get("accept", "")
    if accept not in ACCEPTS:
        raise Http404("No such suggestion.")
    based_on = _based_on(request.POST.get("based_on"))
    current = current_decisions(paragraph.cable).get(paragraph.pk)
    if (current.pk if current else None) != based_on and current is not None:
        # Decided since the page showed the suggestion: theirs stands (a 409, as for any
        # decision; the suggestion is gone, since it is for undecided paragraphs only).
        error = (
            f"{current.decided_by.get_username()} decided this paragraph "
            f"({current.get_kind_display().lower()}) while you were looking at it; the "
            "suggestion no longer applies"
        )
        return decided_answer(request, paragraph, error)
    error = ""
    try:
        spans: list[dict[str, Any]] = []
        if accept == "learned":
            no_selection = {"remove": None, "start": None, "end": None, "label": ""}
            spans = _spans(paragraph, no_selection, None)
        reuse.suggested_decision_record(
            user=request.user, paragraph=paragraph, based_on=based_on, accept=accept, spans=spans
        )
    except ReviewError as exc:
        error = str(exc)
    return decided_answer(request, paragraph, error)


# -- a supervisor's propagation ----------------------------------------------------------


def _supervisor(request: HttpRequest) -> None:
    if not may_supervise(request.user):
        raise Http404("No such page.")


def _decision_label(kind: str, label: str, agency: str) -> str:
    text = Decision.Kind(kind).label
    if kind == Decision.Kind.WITHHOLD and label:
        return f"{text} {label}"
    if kind == Decision.Kind.REFER and agency:
        return f"{text} to {agency}"
    return text


@login_required
def propagate(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply to near-duplicates: every near-duplicate of the decided paragraph in the
    cables the supervisor may review (and paragraphs they may read) with its current
    decision and the one that would be recorded; posting records the chosen ones, all
    or none, as the supervisor's own decisions, each linked to its source.  Each cable
    then goes through approval by someone else (two-person rule)."""
    _supervisor(request)
    if request.method == "POST":
        expected: dict[int, int | None] = {}
        for raw in request.POST.getlist("target"):
            paragraph, _, based_on = raw.partition(":")
            if not (paragraph.isascii() and paragraph.isdigit()):
                raise Http404("No such paragraph.")
            expected[int(paragraph)] = _based_on(based_on)
        try:
            recorded = reuse.propagation_apply(request.user, pk, expected)
        except ReviewError as exc:  # ConcurrentDecision too: nothing was recorded
            messages.error(request, f"Nothing was recorded: {exc}")
        else:
            cables = sorted({d.cable.reference_id for d in recorded})
            messages.success(
                request,
                f"Recorded {len(recorded)} decision{'s' if len(recorded) != 1 else ''} as "
                f"yours in {', '.join(cables)}. Each cable still needs approval by another "
                "release authority (two-person rule: you decided paragraphs of it).",
            )
        return redirect("workflow:propagate", pk)
    try:
        preview = reuse.propagation_preview(request.user, pk)
    except ReviewError as exc:
        messages.error(request, str(exc))
        return render(request, "workflow/decide_once/propagate.html", {"preview": None})
    source = preview.source
    rows = [
        {
            "target": t,
            "value": f"{t.paragraph.pk}:{t.current.pk if t.current else ''}",
            "current": _decision_label(t.current.kind, t.current.label, t.current.referral_agency)
            if t.current
            else "",
            "proposed": _decision_label(t.suggestion.kind, t.suggestion.label, t.suggestion.agency),
            "carried": [t.paragraph.text[s["start"] : s["end"]] for s in t.suggestion.spans],
        }
        for t in preview.targets
    ]
    return render(request, "workflow/decide_once/propagate.html", {
        "preview": preview, "source": source, "rows": rows,
        "source_decision": _decision_label(source.kind, source.label, source.referral_agency),
        "source_spans": [source.paragraph.text[s["start"] : s["end"]] for s in source.spans],
        "applicable": sum(1 for t in preview.targets if t.applicable),
    })  # fmt: skip


# -- quality control ---------------------------------------------------------------------


@login_required
def second_look(request: HttpRequest) -> HttpResponse:
    """The reviewer's blind QC samples: each paragraph's text only, never the first
    decision, its reviewer, or a suggestion (``qc.tasks_for``)."""
    return render(
        request,
        "workflow/decide_once/second_look.html",
        {"tasks": qc.tasks_for(request.user), "kinds": Decision.Kind},
    )


@require_POST
@login_required
def second_look_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a blind re-decision of one sample (``qc.redecide``: once, and only a task
    of this user's; anything else is a 404)."""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("workflow:second_look")
    data = form.cleaned_data
    spans = []
    if data["kind"] == Decision.Kind.REDACT and data["start"] is not None and data["end"]:
        spans = [{"start": data["start"], "end": data["end"], "label": data["label"]}]
    try:
        qc.redecide(
            user=request.user,
            decision_id=pk,
            kind=data["kind"],
            spans=spans,
            label=data["label"],
            agency=data["agency"],
        )
    except ConcurrentDecision as exc:
        messages.error(request, str(exc))
    except ReviewError as exc:
        messages.error(request, f"Not recorded: {exc}")
    else:
        messages.success(request, "Second look recorded.")
    return redirect("workflow:second_look")


@login_required
def agreement(request: HttpRequest) -> HttpResponse:
    """Supervisors: agreement between first and second reviewers (per reviewer, per
    exemption) and between the model's suggestions and the reviewers' decisions."""
    stats = qc.agreement(request.user)  # 404 unless a supervisor
    return render(request, "workflow/decide_once/agreement.html", {"stats": stats})


# -- triage: read and confirm ------------------------------------------------------------

CONFIRM_SALT = "declass.triage.confirm"
CONFIRM_MAX_AGE_S = 12 * 3600


def _undecided_shown(user: Any, cable: Cable) -> list[Paragraph]:
    """The cable's undecided paragraphs the user may read, in order (``workflow.access``)."""
    decided = set(current_decisions(cable))
    return [
        p for p in access.cleared_paragraphs(user, cable).order_by("ordinal") if p.pk not in decided
    ]


def _fingerprint(paragraphs: list[Paragraph]) -> list[list[Any]]:
    return [[p.pk, hashlib.sha256(p.text.encode()).hexdigest()] for p in paragraphs]


def shown_token(cable: Cable, paragraphs: list[Paragraph]) -> str:
    """A signed digest of the paragraphs the page shows (ids and texts): the confirm
    post carries it back, so a confirmation stands for exactly what was read."""
    return signing.dumps(
        {"cable": cable.pk, "paragraphs": _fingerprint(paragraphs)}, salt=CONFIRM_SALT
    )


def _shown_ids(token: str, cable: Cable, now_undecided: list[Paragraph]) -> list[int]:
    try:
        shown = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE_S)
    except signing.BadSignature:
        raise ReviewError(
            "this confirmation was not made on the read-and-confirm page (or it is more "
            "than 12 hours old): read the cable there and confirm again"
        ) from None
    if shown.get("cable") != cable.pk:
        raise ReviewError("this confirmation belongs to another cable")
    if shown.get("paragraphs") != _fingerprint(now_undecided):
        raise ReviewError(
            "the cable's undecided paragraphs changed since the page showed them: read "
            "them again before confirming"
        )
    return [int(pid) for pid, _ in shown["paragraphs"]]


@login_required
def read_and_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """A cable whose undecided paragraphs are all predicted "release in full" with
    confidence: every one of them on one page, and one action that releases them all.
    The action is refused unless the page showed every undecided paragraph (the signed
    digest of what it showed comes back with the post)."""
    cable = permissions.get_cable_for_user(request.user, pk, permissions.REVIEW)
    if request.method == "POST":
        try:
            shown = _shown_ids(
                request.POST.get("shown", ""), cable, _undecided_shown(request.user, cable)
            )
            recorded = triage.batch_release_confirm(request.user, cable, shown)
        except ReviewError as exc:
            messages.error(request, f"Not confirmed: {exc}")
            return redirect("workflow:read_and_confirm", cable.pk)
        messages.success(
            request,
            f"{cable.reference_id}: {len(recorded)} paragraph{'s' if len(recorded) != 1 else ''} "
            "released as read and confirmed.",
        )
        return redirect("workflow:review", cable.pk)
    paragraphs = _undecided_shown(request.user, cable)
    state = triage.cable_triage(request.user, [cable.pk])[cable.pk]
    return render(request, "workflow/decide_once/read_and_confirm.html", {
        "cable": cable, "paragraphs": paragraphs, "triage": state, "hidden": state.hidden,
        "offered": state.all_release_confident and bool(paragraphs),
        "token": shown_token(cable, paragraphs),
    })  # fmt: skip


TRIAGE_LIMIT = 500


@login_required
def triage_batch(request: HttpRequest) -> HttpResponse:
    """The triage batch: among the user's waiting cables (the 500 due soonest), those
    whose undecided paragraphs are all predicted "release in full" with confidence,
    each to read and confirm on its own page.  The prediction is over the paragraphs
    the user may read, and a cable with any paragraph above her clearance is never
    offered (``workflow.triage``): the page says only how many such cables it left out."""
    ids, total = queue_page(
        user=request.user, filters=CableFilters(), state="", offset=0, limit=TRIAGE_LIMIT
    )
    reviewable = set(
        permissions.cables_for_user(request.user, permissions.REVIEW)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    ids = [i for i in ids if i in reviewable]
    found = triage.cable_triage(request.user, ids)
    offered = [i for i in ids if found[i].all_release_confident]
    rows = [(row, found[row.pk]) for row in queue_cables(offered, user=request.user)]
    model_on = any(t.version is not None for t in found.values())
    return render(request, "workflow/decide_once/triage.html", {
        "rows": rows, "looked_at": len(ids), "total": total, "limit": TRIAGE_LIMIT,
        "model_on": model_on, "not_cleared": sum(1 for t in found.values() if t.hidden),
    })  # fmt: skip

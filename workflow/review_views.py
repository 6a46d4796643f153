"""Review pages: the queue, the cable review page, paragraph decisions, approval, audit.

Views stay thin: they authorise (404 for missing and forbidden alike), call a
selector or a service, and render; htmx requests get the updated fragment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import InvalidPage, Page, Paginator
from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from markupsafe import Markup

from audit.models import AuditEvent
from audit.trail import csv_lines
from cables.models import Paragraph
from redaction.engine import parse_label
from redaction.engine.labels import labels_union
from workflow import access, consistency, flag_help, permissions, rounds
from workflow.forms import AuditFilterForm, CableFilterForm, DecisionForm, TransitionForm
from workflow.models import Decision, ReviewState
from workflow.occurrences import redact_occurrences
from workflow.reuse import SUPERVISE, suggested_decision_record
from workflow.review import (
    ReviewError,
    bulk_transition,
    cable_transition,
    current_decisions,
    latest_return,
)
from workflow.selectors import (
    MAX_OFFSET,
    QUEUE_STATES,
    open_round_number_of,
    paragraph_after_decision,
    queue_cables,
    queue_page,
    review_page,
    subject_decided_of,
)
from workflow.states import TransitionError, allowed
from workflow.triage import Triage, cable_triage

PAGE_SIZE = 50
# The queue sorted by predicted sensitivity ranks at most this many cables (due soonest).
SENSITIVITY_SORT_LIMIT = 500
# The cable fields the review page shows (templates/workflow/review_cable.html).
REVIEW_PAGE_FIELDS = (
    "reference_id", "level", "controls", "subject", "origin", "sent_at", "tags",
    "executive_order", "decl", "declass_rule", "subject_level", "declass_flags",
    "declass_warnings",
)  # fmt: skip
# States in which a reviewer is (or may start) deciding paragraphs.
OPEN_STATES = (ReviewState.INGESTED, ReviewState.DUE, ReviewState.IN_REVIEW, ReviewState.RETURNED)

# The rows the busiest pages repeat, and the queue's whole content, in Jinja2
# (templates/jinja2/workflow/, autoescaped; config/jinja2.py), loaded once: Django's
# template engine cost more than the pages' SQL there (about 140 µs a queue row, 600 µs a
# paragraph with its forms, 1 ms the rest of the queue).  The site's layout stays in the
# Django templates, which are handed the rendered content.
QUEUE = get_template("workflow/review_queue.html", using="jinja2")
PARAGRAPHS = get_template("workflow/paragraphs.html", using="jinja2")
DECIDED_PARAGRAPH = get_template("workflow/decided_paragraph.html", using="jinja2")
OCCURRENCES = get_template("workflow/occurrences.html", using="jinja2")
STATE_LABELS = dict(ReviewState.choices)
# The queue's filter widgets, rendered by Django's own Jinja2 widget templates (the same
# markup as its Django ones): about 0.2 ms less a page than through the Django engine.
JINJA2_FORMS = Jinja2FormRenderer()


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Cables waiting for the user, due soonest first, filtered and paginated."""
    form = CableFilterForm(request.GET or None, renderer=JINJA2_FORMS)
    state = request.GET.get("state", "")
    filters = form.filters()
    by_sensitivity = request.GET.get("sort") == "sensitivity"
    triaged: dict[int, Triage] = {}

    def fetch(offset: int, limit: int) -> tuple[list[int], int]:
        return queue_page(
            user=request.user, filters=filters, state=state, offset=offset, limit=limit
        )

    if by_sensitivity:
        # Predicted sensitivity (workflow.triage) is computed, not stored: the cables due
        # soonest (at most SENSITIVITY_SORT_LIMIT) are ranked, most sensitive first, the
        # date order kept among equals and for cables the model cannot rank yet.  The
        # figures are the user's own, over the paragraphs she may read: a paragraph above
        # her clearance moves neither a figure nor the order (rows say how many there are).
        waiting, _ = fetch(0, SENSITIVITY_SORT_LIMIT)
        triaged = cable_triage(request.user, waiting)
        ranked = sorted(
            waiting,
            key=lambda pk: (triaged[pk].sensitivity is None, -(triaged[pk].sensitivity or 0)),
        )

        def fetch(offset: int, limit: int) -> tuple[list[int], int]:
            return ranked[offset : offset + limit], len(ranked)

    page = _queue_page(fetch, request.GET.get("page"), request.user)
    context = {
        "form": form, "page": page, "state": state, "by_sensitivity": by_sensitivity,
        "sort_limit": SENSITIVITY_SORT_LIMIT,
        "model_on": any(t.version is not None for t in triaged.values()),
        "states": [(s, ReviewState(s).label) for s in QUEUE_STATES],
        "moves": bulk_moves(request.user),
        "supervises": may_supervise(request.user),
    }  # fmt: skip
    content = QUEUE.render({
        **context,
        "rows": page, "state_labels": STATE_LABELS, "reviewed": ReviewState.REVIEWED,
        "rereview": {c.pk: c.rereview for c in page if c.rereview},
        "explain": flag_help.explain, "help_url": reverse("workflow:help_flags"),
        "reviewable": {c.pk for c in page if c.reviews},
        "triage": triaged,
    }, request)  # fmt: skip
    return render(request, "workflow/review_queue.html", {**context, "content": _rendered(content)})


# The bulk moves of the queue, and the permission each needs on a cable.
BULK_MOVES = (
    (ReviewState.REVIEWED, "Mark review finished", permissions.REVIEW),
    (ReviewState.APPROVED, "Approve for release", permissions.RELEASE),
    (ReviewState.RETURNED, "Return for rework", permissions.RELEASE),
)


def bulk_moves(user: object) -> list[tuple[str, str]]:
    """The bulk moves the queue offers the user: only those their grants allow on some
    cable (a release authority is not offered "Mark review finished", a reviewer not
    "Approve for release"); each cable is checked again when moved."""
    held = permissions.held_anywhere(user, permissions.REVIEW, permissions.RELEASE)
    return [(str(target), label) for target, label, needs in BULK_MOVES if needs in held]


def page_number(raw: str | None) -> int:
    """The page a ``?page=`` asks for: none is the first; anything but a positive
    whole number (in ASCII digits) is a 404."""
    if raw is None or raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise Http404("No such page.")
    return int(raw)


def paginated(objects: Any, per_page: int, raw: str | None) -> Page:
    """The page ``?page=`` asks for; past the last page, or not a page number, a 404
    (the first page of nothing is an empty page)."""
    try:
        return Paginator(objects, per_page).page(page_number(raw))
    except InvalidPage:
        raise Http404("No such page.") from None


def _queue_page(
    fetch: Callable[[int, int], tuple[list[int], int]], number: str | None, user: object
) -> Page:
    """A Paginator page whose count and ids came from one query (see queue_page); past
    the last page, or not a page number, a 404."""
    wanted = page_number(number)
    offset = (wanted - 1) * PAGE_SIZE
    if offset > MAX_OFFSET:  # past the end of any queue (OFFSET is a bigint)
        raise Http404("No such page.")
    ids, total = fetch(offset, PAGE_SIZE)
    paginator = Paginator(range(total), PAGE_SIZE)
    try:
        page = paginator.page(wanted)
    except InvalidPage:
        raise Http404("No such page.") from None
    page.object_list = queue_cables(ids, user=user)
    return page


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page, for the cable's reviewers (a release authority who does not
    review it has the approval page; the queue links each user to the page they use)."""
    cable = permissions.get_cable_for_user(
        request.user, pk, permissions.REVIEW, only=REVIEW_PAGE_FIELDS,
        annotate={
            "open_round": open_round_number_of(pk), "subject_decided": subject_decided_of(pk),
        },
    )  # fmt: skip
    data = review_page(
        user=request.user,
        cable=cable,
        with_conflicts=True,
        with_occurrences=True,
        with_suggestions=True,
    )
    state = cable.status.review_state
    suggestions = data.suggestions
    return render(request, "workflow/review_cable.html", {
        "page": data, "cable": cable, "state": state,
        # Why it came back for rework, as this reader may read it (the page's own count
        # of paragraphs above the clearance reused).
        "returned": latest_return(request.user, cable, hidden=data.hidden),
        "conflicts": data.conflicts,
        "conflict_cables_shown": consistency.cables_shown(request.user, data.conflicts),
        "suggestions": suggestions,
        "paragraphs": _rendered(PARAGRAPHS.render({
            "paragraphs": data.paragraphs, "Kind": Decision.Kind, "can_decide": True,
            "suggestions": suggestions.by_paragraph if suggestions else {},
            "may_propagate": may_supervise(request.user),
        }, request)),
        "occurrences": _rendered(OCCURRENCES.render(
            {"groups": data.occurrences, "cable_pk": cable.pk, "can_decide": True}, request
        )),
        # Why the cable is reviewed again (workflow.rounds.queue_marks: one query, only
        # for a cable in a re-review round).
        "rereview": rounds.queue_marks([cable.pk], request.user).get(cable.pk, "")
        if cable.open_round else "",
        "moves": review_moves(request.user, cable, state),
        "flags": flag_help.explain_all(cable.declass_flags),
        "warnings": flag_help.explain_all(cable.declass_warnings),
    })  # fmt: skip


def may_supervise(user: Any) -> bool:
    """Whether the user supervises review (propagation, agreement rates): read from the
    permissions the login backend loaded with the user (no query of its own)."""
    return bool(getattr(user, "is_active", False) and user.has_perm(SUPERVISE))


def review_moves(user: object, cable: Any, state: str) -> dict[str, bool]:
    """Which moves the review page offers its reviewer now: those the state table allows
    from here and their grants on this cable permit (the move itself checks again).
    A reviewer who also holds release on the cable is offered the authority's moves
    once the review is finished (the two-person rule is the approval page's to say)."""
    may_release = state in (ReviewState.REVIEWED, ReviewState.APPROVED) and (
        permissions.has_cable_perm(user, permissions.RELEASE, cable)
    )
    return {
        # Offered while decisions are open: the first decision opens the review
        # (workflow.review.decision_record), so the page need not be reloaded first.
        "finish": state in OPEN_STATES,
        "approval": may_release and state == ReviewState.REVIEWED,
        "return": may_release and allowed(state, ReviewState.RETURNED),
    }


def _rendered(html: str) -> Markup:
    """Rows rendered by the Jinja2 templates above, for a Django template to include
    as they are.  Only Jinja2's output comes here: it escaped every value it was given
    (autoescape), cable text included."""
    # Autoescaped template output, not text: what Markup is for.
    return Markup(html)  # nosec B704


def _paragraph_for(request: HttpRequest, pk: int) -> Paragraph:
    """The paragraph if the user may review its cable and read it (``workflow.access``:
    grant and clearance); else 404."""
    cables = permissions.cables_for_user(request.user, permissions.REVIEW)
    readable = access.readable_paragraphs(request.user, Paragraph.objects.select_related("cable"))
    return get_object_or_404(readable, pk=pk, cable__in=cables)


def _spans(paragraph: Paragraph, data: dict[str, Any], current: Decision | None) -> list[dict]:
    """The redactions a "redact" post asks for: the current ones kept (less one the
    reviewer removes), plus a new selection, or (with no selection) the rules'
    proposed spans accepted."""
    kept = list(current.spans) if current and current.kind == Decision.Kind.REDACT else []
    if data["remove"] is not None:
        return [s for i, s in enumerate(kept) if i != data["remove"]]
    if data["start"] is not None and data["end"] is not None:
        return [*kept, {"start": data["start"], "end": data["end"], "label": data["label"]}]
    proposed = [p for p in paragraph.proposals.all() if p.action == "redact"]
    if not proposed:
        return kept
    return [
        *kept,
        *(
            {
                "start": p.start,
                "end": p.end,
                "label": str(labels_union(parse_label(x) for x in p.labels)),
            }
            for p in proposed
        ),
    ]


def _withhold_label(paragraph: Paragraph, label: str) -> str:
    if label:
        return label
    withheld = [p for p in paragraph.proposals.all() if p.action == "withhold"]
    return ", ".join(withheld[0].labels) if withheld else ""


@require_POST
@login_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    paragraph = _paragraph_for(request, pk)
    form = DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        current = current_decisions(paragraph.cable).get(paragraph.pk)
        try:
            # Through reuse: a decision taken while a suggestion was on screen records
            # it, and the model's version, with the decision (DecisionOrigin).
            suggested_decision_record(
                user=request.user,
                paragraph=paragraph,
                kind=data["kind"],
                based_on=data["based_on"],
                spans=_spans(paragraph, data, current) if data["kind"] == "redact" else (),
                label=_withhold_label(paragraph, data["label"]),
                agency=data["agency"],
                note=data["note"],
            )
        except ReviewError as exc:
            error = str(exc)
    else:
        error = "; ".join(e for errors in form.errors.values() for e in errors)
    return decided_answer(request, paragraph, error)


def decided_answer(request: HttpRequest, paragraph: Paragraph, error: str) -> HttpResponse:
    """What a decision post answers: the review page again (with a message), or over
    htmx the decided paragraph, the cable's progress and the redacted words' other
    places (409 when someone decided meanwhile, 422 for another refusal)."""
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or "Decision recorded.")
        return redirect("workflow:review", paragraph.cable_id)
    after = paragraph_after_decision(user=request.user, paragraph=paragraph)
    response = HttpResponse(
        DECIDED_PARAGRAPH.render(
            {
                "view": after.view, "progress": after.progress, "Kind": Decision.Kind,
                "error": error, "groups": after.occurrences, "cable_pk": paragraph.cable_id,
                "can_decide": True, "may_propagate": may_supervise(request.user),
            },
            request,
        )
    )  # fmt: skip
    if error:
        response.status_code = 409 if "while you were looking" in error else 422
        response["HX-Reswap"] = "outerHTML"
    return response


@require_POST
@login_required
def redact_other_occurrences(request: HttpRequest, pk: int) -> HttpResponse:
    """Redact these too: the places the page listed for one redaction, redacted under
    its exemption (``workflow.occurrences.redact_occurrences`` finds them again)."""
    cable = permissions.get_cable_for_user(request.user, pk, permissions.REVIEW)
    try:
        source, start, end = (int(request.POST.get(k, "")) for k in ("source", "start", "end"))
    except ValueError:
        raise Http404("No such redaction.") from None
    try:
        done = redact_occurrences(
            user=request.user, cable=cable, source_id=source, start=start, end=end,
            chosen=request.POST.getlist("place"),
        )  # fmt: skip
        messages.success(
            request, f"Redacted in {len(done)} more paragraph{'s' if len(done) != 1 else ''}."
        )
    except ReviewError as exc:
        messages.error(request, str(exc))
    return redirect("workflow:review", cable.pk)


@login_required
def help_flags(request: HttpRequest) -> HttpResponse:
    """What each flag and warning the pages show means (their tooltips link here)."""
    return render(request, "workflow/help_flags.html", {"sections": flag_help.SECTIONS})


@require_POST
@login_required
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    visible = permissions.cables_for_user(request.user, permissions.REVIEW, permissions.RELEASE)
    cable = get_object_or_404(visible, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        cable_transition(
            user=request.user,
            cable=cable,
            target=form.cleaned_data["target"],
            note=form.cleaned_data["note"],
        )
        messages.success(
            request,
            f"{cable.reference_id} is now "
            f"{ReviewState(form.cleaned_data['target']).label.lower()}.",
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect(_safe_next(request))


def _safe_next(request: HttpRequest) -> str:
    """Where to go after a move: the posted ``next`` if it stays on this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("workflow:queue")


@require_POST
@login_required
def bulk(request: HttpRequest) -> HttpResponse:
    """Move the selected cables; every one is checked on the server, as if moved alone."""
    form = TransitionForm(request.POST)
    try:
        ids = [int(x) for x in request.POST.getlist("cables")][:500]
    except ValueError:
        ids = []
    if not form.is_valid() or not ids:
        messages.error(request, "Select cables and an action.")
        return redirect("workflow:queue")
    try:
        result = bulk_transition(
            user=request.user, cable_ids=ids, target=form.cleaned_data["target"]
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("workflow:queue")
    if result["moved"]:
        messages.success(request, f"Moved {len(result['moved'])}: {', '.join(result['moved'])}.")
    for ref, reason in result["refused"]:
        messages.error(request, f"{ref}: {reason}")
    return redirect("workflow:queue")


def _audit_events(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.order_by("-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["cable"]:
            events = events.filter(cable_ref__iexact=data["cable"].strip())
        if data["action"]:
            events = events.filter(action__startswith=data["action"].strip())
        if data["actor"]:
            events = events.filter(actor_name__iexact=data["actor"].strip())
        if data["since"]:
            events = events.filter(at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(at__date__lte=data["until"])
    return form, events


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
def audit(request: HttpRequest) -> HttpResponse:
    form, events = _audit_events(request)
    page = paginated(events, 100, request.GET.get("page"))
    # A move's note may quote the cable: shown only where the auditor may read it whole.
    page.object_list = list(access.audit_entries_as_read(request.user, page.object_list))
    return render(request, "workflow/audit.html", {"form": form, "page": page})


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    _form, events = _audit_events(request)
    entries = events.order_by("id").iterator(chunk_size=2000)
    response = StreamingHttpResponse(
        csv_lines(access.audit_entries_as_read(request.user, entries)), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response

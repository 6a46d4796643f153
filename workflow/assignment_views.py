"""Pages for assigning work: "Assign work" (supervisors and admins, by query with a live
preview), "My batches" (each reviewer's batches and progress), a batch's cables, and
"Workload" (each reviewer's cables by state).

Thin views: they authorise, hand the form's values to ``workflow.assignment`` (which
checks again), and render.  No page here shows cable text or subjects: reference ids,
posts, dates, levels and states only, and those only of the cables the viewer may view
(``workflow.access``); a batch's other cables are counted, never named.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from workflow import assignment, permissions
from workflow.assignment import AssignmentError, NoSuchBatch, NotAllowed
from workflow.forms import AssignmentForm
from workflow.models import AssignmentBatch, ReviewState
from workflow.permissions import SelfChangeRefused
from workflow.review_views import paginated

BATCH_PAGE_SIZE = 50
STATE_LABELS = dict(ReviewState.choices)


def _require_assigner(request: HttpRequest) -> None:
    if not assignment.may_assign(request.user):
        raise PermissionDenied("Only a supervisor or an admin assigns work.")


def _preview_context(request: HttpRequest, form: AssignmentForm) -> dict:
    """The preview of what the form would do, or what is wrong with it."""
    if not form.is_valid():
        return {"errors": form.errors}
    data = form.cleaned_data
    try:
        shown = assignment.preview(
            actor=request.user,
            assignee=data["assignee"],
            permission=data["permission"],
            query=form.query(),
            limit=data["limit"],
            revoke=data["action"] == "revoke",
        )
    except AssignmentError as exc:
        return {"refusal": str(exc)}
    return {
        "shown": shown,
        "revoke": data["action"] == "revoke",
        "assignee": data["assignee"],
        "described": form.query().describe(),
    }


@login_required
def assign_work(request: HttpRequest) -> HttpResponse:
    """The "Assign work" page: a query, a batch size, an assignee and a permission; the
    preview updates as the form changes (htmx) or with the Preview button."""
    _require_assigner(request)
    preview: dict | None = None
    if request.method == "POST":
        form = AssignmentForm(request.POST, require_assignee="go" in request.POST)
        if "go" in request.POST and form.is_valid():
            done = _carry_out(request, form)
            if done is not None:
                return done
        preview = _preview_context(request, form)
    else:
        form = AssignmentForm(request.GET or None, require_assignee=False)
        if request.GET:
            preview = _preview_context(request, form)
    return render(
        request,
        "workflow/assign/assign.html",
        {"form": form, "preview": preview, "people": assignment.assignable_people()},
    )


def _carry_out(request: HttpRequest, form: AssignmentForm) -> HttpResponse | None:
    """Assign or revoke as the form says; a refusal becomes a form error (None)."""
    data = form.cleaned_data
    who = data["assignee"]
    try:
        if data["action"] == "revoke":
            done = assignment.revoke(
                actor=request.user,
                assignee=who,
                permission=data["permission"],
                query=form.query(),
                limit=data["limit"],
            )
            messages.success(
                request,
                f"Revoked {data['permission']} on {done.count} cable"
                f"{'' if done.count == 1 else 's'} from {assignment.assignee_name(who)}.",
            )
            return redirect("workflow:assign")
        batch = assignment.assign(
            actor=request.user,
            assignee=who,
            permission=data["permission"],
            query=form.query(),
            limit=data["limit"],
        )
    except (AssignmentError, SelfChangeRefused, NotAllowed) as exc:
        form.add_error(None, str(exc))
        return None
    messages.success(
        request,
        f"Batch {batch.pk}: {batch.permission} on {batch.cable_count} cable"
        f"{'' if batch.cable_count == 1 else 's'} assigned to {batch.assignee_name}.",
    )
    return redirect("workflow:batch", pk=batch.pk)


@require_POST
@login_required
def assign_preview(request: HttpRequest) -> HttpResponse:
    """The preview fragment the "Assign work" form asks for as it changes (htmx)."""
    _require_assigner(request)
    form = AssignmentForm(request.POST, require_assignee=False)
    return render(
        request, "workflow/assign/_preview.html", {"preview": _preview_context(request, form)}
    )


@login_required
def people(request: HttpRequest) -> HttpResponse:
    """Suggestions for the assignee field: ``<option>``s of a datalist (htmx)."""
    _require_assigner(request)
    found = assignment.assignable_people(request.GET.get("assignee", ""))
    return render(request, "workflow/assign/_people.html", {"people": found})


@login_required
def batches(request: HttpRequest) -> HttpResponse:
    """The user's batches (given to them or a group of theirs) with their progress;
    supervisors and admins may list every batch (``?all=1``)."""
    see_all = assignment.may_see_all_batches(request.user)
    everyone = see_all and request.GET.get("all") == "1"
    rows = (
        assignment.batches_for(request.user)
        if everyone
        else assignment.batches_assigned_to(request.user)
    )
    page = paginated(rows, BATCH_PAGE_SIZE, request.GET.get("page"))
    progress = assignment.batch_progress([b.pk for b in page], request.user)
    return render(
        request,
        "workflow/assign/batches.html",
        {
            "page": page,
            "rows": [(b, progress[b.pk]) for b in page],
            "everyone": everyone,
            "see_all": see_all,
            "may_revoke": assignment.may_assign(request.user),
        },
    )


def _visible_batch(request: HttpRequest, pk: int) -> AssignmentBatch:
    return get_object_or_404(assignment.batches_for(request.user), pk=pk)


def _no_batch() -> Http404:
    """What a batch that does not exist is answered with (``get_object_or_404``'s words),
    for a batch the user may not act on."""
    return Http404(f"No {AssignmentBatch._meta.object_name} matches the given query.")


def _cable_links(user: object, cable_ids: list[int]) -> dict[int, str]:
    """The page each cable of a batch page links to for this viewer: the review page
    where they hold review on it, the approval page where they hold release, else the
    cable's page (the batch page lists only cables they may view).  Chosen by what the
    viewer holds, not by the batch's permission: the supervisor who made a review
    batch holds only view, and the review page answers 404 to her.  Two queries for
    the page's rows, whatever their number."""
    reviews = permissions.permitted_among(user, cable_ids, permissions.REVIEW)
    releases = permissions.permitted_among(user, cable_ids, permissions.RELEASE)
    links = {}
    for pk in cable_ids:
        if pk in reviews:
            links[pk] = reverse("workflow:review", args=[pk])
        elif pk in releases:
            links[pk] = reverse("releases:approval", args=[pk])
        else:
            links[pk] = reverse("cables:detail", args=[pk])
    return links


@login_required
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    """One batch: its query, its progress and its cables (reference, state, date,
    paragraphs decided), each linked to the page the viewer may open (review,
    approval or the cable's page: ``_cable_links``); of the cables the user may not
    view, only how many there are, and the query only when they may view every cable
    it chose (it describes them)."""
    found = _visible_batch(request, pk)
    rows = assignment.batch_cables(found, request.user)
    page = paginated(rows, BATCH_PAGE_SIZE, request.GET.get("page"))
    today = timezone.localdate()
    # A revoked batch's rows are not linked: it gives nothing any more.
    linked = [] if found.revoked_at else [row.cable_id for row in page]
    links = _cable_links(request.user, linked)
    for row in page:
        row.link = links.get(row.cable_id, "")
        row.state_label = STATE_LABELS.get(row.review_state, row.review_state)
        row.overdue = bool(
            row.declass_date
            and row.declass_date < today
            and row.review_state not in assignment.DONE_STATES
        )
    progress = assignment.batch_progress([found.pk], request.user)[found.pk]
    if found.by_selection:
        described: str | None = "selected cables"
    elif progress.query_shown:
        described = assignment.CableQuery.from_json(found.query).describe()
    else:
        described = None  # the page says why it is not shown
    return render(
        request,
        "workflow/assign/batch.html",
        {
            "batch": found,
            "progress": progress,
            "page": page,
            "described": described,
            "may_revoke": assignment.may_assign(request.user)
            and found.revoked_at is None
            and not progress.hidden,
        },
    )


@require_POST
@login_required
def batch_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Take back what a batch gave; a batch holding cables the user may not view is
    answered as one that does not exist."""
    _require_assigner(request)
    found = _visible_batch(request, pk)
    try:
        done = assignment.revoke_batch(actor=request.user, batch=found)
    except NoSuchBatch:
        raise _no_batch() from None
    except (AssignmentError, SelfChangeRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Batch {found.pk} revoked: {done.count} cable{'' if done.count == 1 else 's'} "
            f"taken back from {found.assignee_name}.",
        )
    return redirect("workflow:batch", pk=found.pk)


@login_required
def workload(request: HttpRequest) -> HttpResponse:
    """Each reviewer's (or release authority's) cables: assigned, waiting, in review,
    reviewed and overdue."""
    if not assignment.may_see_all_batches(request.user):
        raise PermissionDenied("The workload is for supervisors and admins.")
    permission = request.GET.get("permission", "review")
    if permission not in ("review", "release"):
        raise Http404("No such permission.")
    return render(
        request,
        "workflow/assign/workload.html",
        {"rows": assignment.workload(permission=permission), "permission": permission},
    )

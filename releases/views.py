"""The reading room (published releases, their files) and the release authority's approval.

The reading room is open to every logged-in user: it shows published releases
only, and those hold released text only (UNCLASSIFIED by construction, verified
before publication), read from the release rows and stored files, never from the
cable.  Approving is for release authorities holding the cable's release
permission, checked here and again in the service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from releases import selectors
from releases.forms import ReleaseRequestForm, SearchForm
from releases.models import Release
from releases.preview import release_preview
from releases.services import (
    ApprovalShown,
    ReleaseError,
    RepeatsWithheld,
    StaleApproval,
    approval_shown,
    release_request,
)
from workflow import access, permissions, sampling
from workflow import consistency as workflow_consistency
from workflow import selectors as workflow_selectors
from workflow.states import TransitionError

PAGE_SIZE = 25


def _page(paginator: Paginator, raw: str | None) -> Page:
    """The page ``?page=`` asks for (none: the first); past the last page, or not a
    positive whole number, a 404."""
    if raw is None or raw == "":
        raw = "1"
    if not (raw.isascii() and raw.isdigit()):
        raise Http404("No such page.")
    try:
        return paginator.page(int(raw))
    except InvalidPage:
        raise Http404("No such page.") from None


@login_required
def reading_room(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = _page(Paginator(selectors.reading_room(query=query), PAGE_SIZE), request.GET.get("page"))
    return render(request, "releases/reading_room.html", {"form": form, "page": page, "q": query})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    release = selectors.release_detail(pk)
    if release is None:
        latest = selectors.replacing(pk)
        if latest is None:
            return _not_served(request, pk)
        messages.info(request, f"That version was replaced by version {latest.version}.")
        return redirect("releases:detail", latest.pk)
    return render(request, "releases/release_detail.html", {
        "release": release,
        "files": selectors.release_files(release),
        "versions": selectors.release_versions(release),
        "text": selectors.release_text(release),
    })  # fmt: skip


@login_required
def download(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One stored file of a published release, byte for byte as verified."""
    stored = selectors.release_file(pk, name)
    if stored is None:
        if selectors.withdrawn(pk) is not None:
            return _not_served(request, pk)
        raise Http404("No such file in a published release.")
    response = HttpResponse(bytes(stored.content), content_type=stored.content_type)
    filename = f"{stored.release.reference_id}-v{stored.release.version}-{stored.name}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["ETag"] = f'"{stored.sha256}"'
    # Behind a login: a shared cache may not keep it, and a browser asks again each time
    # before using its copy, so a revoked account is not served one from cache.
    response["Cache-Control"] = "private, no-cache"
    return response


def _not_served(request: HttpRequest, pk: int) -> HttpResponse:
    """A release no longer served: withdrawn for re-review (another cable's release
    withholds text it published), said so without saying which cable or what text, with
    status 404; or no such release at all."""
    withdrawn = selectors.withdrawn(pk)
    if withdrawn is None:
        raise Http404("No release matches the given query.")
    return render(request, "releases/release_withdrawn.html", {"release": withdrawn}, status=404)


def _repeats_shown(cable: Any, exc: RepeatsWithheld) -> list[dict[str, Any]]:
    """Where the decisions would release what they withhold, with the released text at
    each place (the page shows these paragraphs' released text anyway, and only a
    user cleared for every paragraph gets this far)."""
    texts = dict(cable.paragraphs.values_list("ordinal", "text"))
    return [
        {"paragraph": paragraph, "what": what,
         "quotes": [texts.get(ordinal, "")[s:e] for s, e in ranges]}
        for paragraph, ordinal, what, ranges in exc.places
    ]  # fmt: skip


@require_POST
@login_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve the cable's release (and queue it): the approval page's form posts here.

    The form carries a digest of what the page showed (header, paragraphs,
    decisions): if the cable changed since, or its decisions release what they
    withhold elsewhere, the answer is the page as the cable is now, status 409,
    saying what changed or where, and nothing is approved."""
    cable = permissions.get_cable_for_user(request.user, pk, permissions.RELEASE)
    form = ReleaseRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("releases:approval", cable.pk)
    data = form.cleaned_data
    shown = ApprovalShown(
        digest=data["approval_digest"],
        decisions=data["decisions_shown"],
        header=data["header_shown"],
    )
    try:
        release = release_request(
            user=request.user,
            cable=cable,
            acknowledge_conflicts=data["acknowledge_conflicts"],
            conflicts_digest=data["conflicts_digest"],
            case_number=data["case_number"],
            shown=shown,
        )
    except StaleApproval as exc:
        return _approval_page(request, cable, status=409, stale=exc.changes)
    except RepeatsWithheld as exc:
        return _approval_page(request, cable, status=409, repeats=_repeats_shown(cable, exc))
    except (ReleaseError, TransitionError) as exc:
        messages.error(request, str(exc))
        return redirect("releases:approval", cable.pk)
    release.refresh_from_db()
    if release.status == Release.Status.PUBLISHED:
        messages.success(request, f"{cable.reference_id} released as version {release.version}.")
    elif release.status == Release.Status.BLOCKED:
        messages.error(request, f"Verification blocked the release: {release.blocked_reason}")
    else:
        messages.success(request, f"{cable.reference_id} approved; the release is being made.")
    return redirect("releases:approval", cable.pk)


@login_required
def approval(request: HttpRequest, pk: int) -> HttpResponse:
    """The release authority's page: every paragraph's decision, the release exactly as
    it will be published (``releases.preview``), conflicts with other cables, the
    cable's releases; then approve the release (releases:approve) or return."""
    cable = permissions.get_cable_for_user(request.user, pk, permissions.RELEASE)
    pending = _qc_waiting(request.user, cable)
    if pending:  # said up front: approving is refused until then (workflow.review)
        messages.warning(
            request,
            f"Quality control: {pending} decision(s) of this cable wait for a second "
            "reviewer's blind re-decision; it cannot be approved until they are made.",
        )
    return _approval_page(request, cable)


def _qc_waiting(user: Any, cable: Any) -> int:
    """The cable's sampled decisions still waiting for their blind re-decision, on the
    paragraphs the user is cleared for: a count over the others would tell an authority
    not cleared for them whether they are decided (``workflow.sampling`` samples
    decisions).  Approving refuses on all of them whatever this says (``workflow.review``),
    and an authority not cleared for every paragraph cannot approve anyway."""
    if sampling.sample_pct() <= 0:
        return 0
    waiting = sampling.open_samples().filter(access.cleared(user, "paragraph__"))
    return waiting.filter(cable_id=cable.pk).count()


def _approval_page(
    request: HttpRequest, cable: Any, status: int = 200, **extra: Any
) -> HttpResponse:
    cable.status.refresh_from_db()
    # Before reading the page: a change in between is caught.
    shown = approval_shown(cable, request.user)
    data = workflow_selectors.review_page(user=request.user, cable=cable)
    release = selectors.approval_release(
        user=request.user, cable=cable, state=cable.status.review_state
    )
    return render(request, "releases/approval.html", {
        "page": data, "cable": cable, "release": release, "conflicts": release.conflicts,
        "conflict_cables_shown": workflow_consistency.cables_shown(request.user, release.conflicts),
        "shown": shown, "preview": release_preview(user=request.user, cable=cable),
        # A blocked release's reasons name the portions whose text leaked and how each was
        # decided: shown only to an authority cleared for every portion of the cable.
        "above_clearance": access.above_clearance(request.user, cable, to_release=True), **extra,
    }, status=status)  # fmt: skip

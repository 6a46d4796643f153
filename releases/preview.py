"""The release as approving it now would publish it: what the approval page shows.

The approval page does not describe the release, it shows it: the document is
built by the same function that builds the published release
(``releases.document.build_document``, from ``releases.services.header_in`` and the
cable's current decisions) and laid out by the same template as the release's
HTML (``releases/_release_body.html`` through ``releases.render.render_body``), so
the two cannot differ: the header lines as released (a classified subject boxed
whole, withheld words boxed in TAGS, references and signature), each paragraph
with its boxes or its withheld line, headings as headings.  Only what the
approval itself decides is not known yet: the document number, and the case
number the authority may enter (the page line and the authority box carry them);
the review authority is the user looking at the page and the date is today, as
they will be if they approve.

The paragraphs are read through ``workflow.access`` (grants and clearance); an
authority not cleared for every paragraph sees no preview, since they may not
approve the release either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.utils import timezone
from django.utils.safestring import SafeString

from cables.models import Cable
from releases.document import ApprovalIn, DocumentError, ReleaseDocument, build_document
from releases.models import Release
from releases.render import render_body
from releases.services import decision_in, header_in, paragraph_in
from workflow import access
from workflow.review import current_decisions


@dataclass(frozen=True)
class ReleasePreview:
    """The release the page shows (``doc`` and its ``body`` as HTML), or why there is
    none yet (``problem``: a paragraph undecided or referred, or above the clearance)."""

    doc: ReleaseDocument | None = None
    body: SafeString | None = None
    problem: str = ""


def _next_version(cable: Cable) -> int:
    last = Release.objects.filter(cable=cable, status=Release.Status.PUBLISHED).aggregate(
        v=Max("version")
    )["v"]
    return (last or 0) + 1


def release_preview(*, user: Any, cable: Cable) -> ReleasePreview:
    """The release of ``cable`` as ``user`` approving it today would publish it."""
    hidden = access.above_clearance(user, cable, to_release=True)
    if hidden:
        return ReleasePreview(
            problem=f"Above your clearance in this cable: {hidden}. The release is shown "
            "only to an authority cleared for every paragraph and the subject."
        )
    rows = access.cleared_paragraphs(user, cable).order_by("ordinal")
    paragraphs = [paragraph_in(p) for p in rows]
    decisions = {
        pid: decision_in(d)
        for pid, d in current_decisions(cable).items()
        if pid in {p.id for p in paragraphs}
    }
    approval = ApprovalIn(
        release_id=0,
        version=_next_version(cable),
        authority=(user.get_full_name() or user.get_username())[:150],
        approved_on=timezone.localdate(),
    )
    try:
        doc = build_document(
            header=header_in(cable), paragraphs=paragraphs, decisions=decisions, approval=approval
        )
    except DocumentError as exc:
        return ReleasePreview(problem=f"The release cannot be made yet: {exc}.")
    return ReleasePreview(doc=doc, body=render_body(doc))

"""Reads for the reading room and the approval page.

The reading room reads published releases only, and of them only the released
fields copied at publication and the stored files: never a cable or a paragraph,
so no query it makes can reach original text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Exists, FloatField, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from cables.models import Cable
from releases import conflicts as consistency
from releases.models import Release, ReleaseFile
from workflow import permissions
from workflow.consistency import release_conflicts
from workflow.models import ReviewRound

# The columns a list of releases shows: never the stored files or the search text.
LIST_FIELDS = (
    "reference_id", "title", "sent_at", "origin", "stamp", "version", "published_at", "cable_id",
)  # fmt: skip


def published() -> QuerySet[Release]:
    return Release.objects.filter(status=Release.Status.PUBLISHED)


def current() -> QuerySet[Release]:
    """The published releases that no later published version of the same cable replaced:
    the only ones the reading room shows, serves and links to.

    Why: a later review round may withhold what an earlier version released (an exemption
    found to apply after all, a referral's answer); the earlier version's files would go
    on handing it out.  Older versions stay in the record (and the admin), listed on the
    current one as history.

    Nor is a release withdrawn by an open re-review round (another cable's release
    withholds text it published, ``releases.recheck``): the cable then has no current
    release until the round's release is published.
    """
    newer = published().filter(cable_id=OuterRef("cable_id"), version__gt=OuterRef("version"))
    return published().filter(~Exists(newer) & ~Exists(_withdrawing(OuterRef("pk"))))


def _withdrawing(release: Any) -> QuerySet[ReviewRound]:
    """The open rounds that withdraw ``release`` (an id, or an outer reference to one)."""
    return ReviewRound.objects.filter(withdrawn_release_id=release, closed_at__isnull=True)


def withdrawn(pk: int) -> Release | None:
    """The withdrawn release of the cable of published release ``pk`` (``pk`` itself, or
    the later version that replaced it), if an open round withdrew it; None otherwise.

    A reader is told only that it is withdrawn for re-review, not why: the reason
    names another cable and says that it withholds this text."""
    cable_id = published().filter(pk=pk).values("cable_id")
    return (
        published()
        .filter(cable_id__in=cable_id)
        .filter(Exists(_withdrawing(OuterRef("pk"))))
        .only(*LIST_FIELDS)
        .first()
    )


def _search(releases: QuerySet[Release], query: str) -> QuerySet[Release]:
    """Full-text search over the released text: PostgreSQL's tsvector column (GIN index),
    ranked."""
    tsquery = "websearch_to_tsquery('english', %s)"
    return (
        releases.filter(
            # Constant SQL; the query is a bound parameter.
            RawSQL(  # nosec B611
                f'"releases_release"."search_vector" @@ {tsquery}',
                [query],
                output_field=BooleanField(),
            )
        )
        .annotate(
            # Constant SQL; the query is a bound parameter.
            rank=RawSQL(  # nosec B611
                f'ts_rank("releases_release"."search_vector", {tsquery})',
                [query],
                output_field=FloatField(),
            )
        )
        .order_by("-rank", "-published_at", "-id")
    )


def reading_room(*, query: str = "") -> QuerySet[Release]:
    """The latest published version of every released cable, newest first (or by
    relevance when searching)."""
    releases = current().only(*LIST_FIELDS)
    query = query.strip()[:200]
    if query:
        return _search(releases, query)
    return releases.order_by("-published_at", "-id")


def release_detail(pk: int) -> Release | None:
    return current().defer("search_text").filter(pk=pk).first()


def replacing(pk: int) -> Release | None:
    """The current version of the cable whose published release ``pk`` was replaced
    (None if ``pk`` is current, or no published release)."""
    cable_id = published().filter(pk=pk).values("cable_id")
    return current().filter(cable_id__in=cable_id).exclude(pk=pk).only(*LIST_FIELDS).first()


def release_versions(release: Release) -> list[Release]:
    return list(
        published().filter(cable_id=release.cable_id).only(*LIST_FIELDS).order_by("-version")
    )


def release_files(release: Release) -> list[ReleaseFile]:
    return list(release.files.defer("content").order_by("name"))


def release_text(release: Release) -> str:
    """The stored plain-text file: exactly what was verified and published."""
    data = release.files.filter(name="release.txt").values_list("content", flat=True).first()
    return bytes(data).decode("utf-8") if data is not None else ""


def release_file(release_id: int, name: str) -> ReleaseFile | None:
    return (
        ReleaseFile.objects.filter(release__in=current().filter(pk=release_id), name=name)
        .select_related("release")
        .first()
    )


@dataclass
class ApprovalRelease:
    """What the approval page shows about releasing: state, conflicts, past releases."""

    latest: Release | None
    published: list[Release]
    conflicts: list[Any]
    conflicts_digest: str
    can_request: bool
    # The published release an open round withdrew (releases.recheck), if any.
    withdrawn_id: int | None = None


def approval_release(*, user: Any, cable: Cable, state: str) -> ApprovalRelease:
    """The release side of the approval page (a few queries)."""

    releases = list(
        cable.releases.defer("search_text", "withholding_index", "verification").order_by("-id")
    )
    conflicts = release_conflicts(cable, max_level=permissions.clearance_level(user))
    pending = any(r.status == Release.Status.PENDING for r in releases)
    withdrawn_id = None
    if any(r.published for r in releases):  # a query only for a cable released before
        withdrawn_id = (
            ReviewRound.objects.filter(cable_id=cable.pk, closed_at__isnull=True)
            .values_list("withdrawn_release_id", flat=True)
            .first()
        )
    return ApprovalRelease(
        latest=releases[0] if releases else None,
        # The current version first, as the reading room has it (by version, not by id).
        published=sorted((r for r in releases if r.published), key=lambda r: -r.version),
        conflicts=conflicts,
        conflicts_digest=consistency.conflicts_digest(conflicts),
        can_request=state in ("reviewed", "approved") and not pending,
        withdrawn_id=withdrawn_id,
    )

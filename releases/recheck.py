"""Re-checking published releases when another cable's release withholds their text.

Before a release is approved, ``workflow.consistency`` checks what it would publish
against the decisions of near-duplicate paragraphs elsewhere.  That check looks one
way, once: if cable A's release published a paragraph and cable B's release, later,
withholds or redacts a near-duplicate of it, A's release would go on serving what B's
reviewers and release authority judged exempt.

So, once B's release is published (``releases.services._publish`` queues
``release_recheck`` after commit), the paragraphs B's release withholds or redacts are
looked up in the near-duplicate index, and the current release of each other cable
with such a paragraph is checked against them with ``workflow.consistency``'s own
conflict logic, on the decisions that release published (not the cable's later
drafts).  B's release itself is checked the same way against the other cables'
current releases: it was approved before it was published, and another release
withholding its text may have been published in between (whose re-check found B still
pending).  Each release that exposes text another release withholds is withdrawn for re-review
(``workflow.rounds.round_withdraw``): it is no longer served
(``releases.selectors.current``) until the round's release is published; the audit
trail records it, naming both cables.

Conflicts the authority of A's release saw and acknowledged when approving it (the same
decision of B) are left alone: that was a decision taken knowingly, and B's
publication changes nothing of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.trail import audit_record
from cables.models import Cable, Paragraph
from cables.similarity import store
from releases import conflicts as conflict_records
from releases.models import Release
from releases.selectors import current
from workflow import notify, permissions, rounds
from workflow.consistency import RELEASING, WITHHOLDING, Conflict, conflicts_for
from workflow.models import CableStatus, Decision, Notification, ReviewRound

WITHDRAWN = "release.withdrawn"


@dataclass(frozen=True)
class Recheck:
    """What one re-check did: the rounds that now withdraw a release because of it
    (opened, or extended), and the releases it checked."""

    withdrawn: list[ReviewRound]
    checked: int


def release_recheck(*, release_id: int) -> Recheck:
    """Re-check the current releases of other cables against what the published
    release ``release_id`` withholds; withdraw those that publish it.

    Idempotent: a release already withdrawn by an open round is not current, so it is
    not checked again, and ``round_withdraw`` records nothing for a round that
    withdraws already.  A release that is not published (pending, blocked, unknown)
    changes nothing.
    """
    release = (
        Release.objects.select_related("cable")
        .filter(pk=release_id, status=Release.Status.PUBLISHED)
        .first()
    )
    if release is None:
        return Recheck([], 0)
    withheld = _published_of_kind(release, WITHHOLDING)
    others = list(_current_releases_near(release.cable, withheld))
    withdrawn = []
    for other in others:
        found = exposed_by(other, release)
        if found:
            done = _withdraw(other, release, found)
            if done is not None:
                withdrawn.append(done)
    itself = _exposed_itself(release)
    if itself is not None:
        done = _withdraw(release, *itself)
        if done is not None:
            withdrawn.append(done)
    return Recheck(withdrawn, len(others))


def published_decisions(release: Release) -> set[int]:
    """The decisions a release published (ids)."""
    return {int(did) for _, did in release.decisions}


def _published_of_kind(release: Release, kinds: tuple[str, ...]) -> list[Decision]:
    """The decisions the release published of these kinds, with their paragraphs."""
    return list(
        Decision.objects.filter(
            pk__in=published_decisions(release), cable_id=release.cable_id, kind__in=kinds
        )
        .select_related("paragraph")
        .order_by("paragraph__ordinal")
    )


def _current_releases_near(cable: Cable, decided: list[Decision]) -> Iterable[Release]:
    """The current releases of the other cables having a paragraph that shares a band
    key with a paragraph of these decisions (two queries; none without keys)."""
    keys = {k for row in store.keys_for([d.paragraph.text for d in decided]) for k in row}
    if not keys:
        return []
    near = store.candidates_elsewhere(keys, exclude_cable_id=cable.pk)
    if not near:
        return []
    cables = Paragraph.objects.filter(pk__in=near).values("cable_id")
    return current().filter(cable_id__in=cables).select_related("cable").order_by("pk")


def exposed_by(release: Release, cause: Release) -> list[Conflict]:
    """The conflicts of what ``release`` published with what ``cause`` (another cable's
    release) published withholding or redacting, per ``workflow.consistency`` (text it
    withholds found in what the release published), leaving out those the release's
    authority acknowledged when approving it.  The cause's published decisions count,
    not its cable's later drafts: what is served is compared with what is served."""
    return unacknowledged(release, among=published_decisions(cause))


def _exposed_itself(release: Release) -> tuple[Release, list[Conflict]] | None:
    """The current release of another cable that withholds text this release publishes
    (the earliest published, if several), and the conflicts; None if none does.

    The approval checked the release against the other cables' decisions, but it is
    published later, by the worker: another cable's release withholding the same text
    may have been published in between, and its re-check found this one still pending.
    And the approval compared it with the other cables' current decisions: a reviewer
    drafting "release" where that cable's published release withholds hid the conflict.
    So it is compared here with what the other cables' current releases published.
    """
    causes = list(_current_releases_near(release.cable, _published_of_kind(release, RELEASING)))
    if not causes:
        return None
    found = unacknowledged(release, among=set().union(*(published_decisions(c) for c in causes)))
    for cause in sorted(causes, key=lambda c: (c.published_at, c.pk)):
        published = published_decisions(cause)
        hits = [c for c in found if c.other_decision.pk in published]
        if hits:
            return cause, hits
    return None


def unacknowledged(release: Release, *, among: set[int] | None = None) -> list[Conflict]:
    """The conflicts of what ``release`` published (its approved decisions, not the
    cable's later ones) with the other cables' decisions ``among`` (default: their
    current ones), per ``workflow.consistency``, but those its authority acknowledged
    when approving it."""
    cable = release.cable
    decisions = {
        d.paragraph_id: d
        for d in Decision.objects.filter(pk__in=published_decisions(release), cable_id=cable.pk)
    }  # fmt: skip
    paragraphs = list(cable.paragraphs.filter(pk__in=list(decisions)).order_by("ordinal"))
    acknowledged = {
        int(record["other_decision_id"])
        for record in release.conflicts_acknowledged or []
        if "other_decision_id" in record
    }
    return [
        c
        for c in conflicts_for(cable, paragraphs, decisions, among=among)
        if c.other_decision.pk not in acknowledged
    ]


def _withdraw(release: Release, cause: Release, found: list[Conflict]) -> ReviewRound | None:
    """Withdraw ``release`` for re-review because ``cause`` withholds what it published
    (``found``), under the lock of its cable's status (which publication takes too):
    nothing when a later version was published meanwhile.  The round, or None."""
    with transaction.atomic():
        CableStatus.objects.select_for_update().get(cable_id=release.cable_id)
        if not current().filter(pk=release.pk).exists():
            return None  # replaced meanwhile (checked at its approval), or withdrawn already
        done = rounds.round_withdraw(
            cable_id=release.cable_id,
            release_id=release.pk,
            withheld_in_id=cause.cable_id,
            withheld_release_id=cause.pk,
            withheld_paragraphs=sorted({c.other_paragraph.pk for c in found}),
            at=timezone.now(),
        )
        if done.recorded:
            _audit(release, cause, done, found)
            _notify(release, done)
    return done.round


def _notify(release: Release, done: rounds.Withdrawal) -> int:
    """Tell the cable's reviewers (active holders of review on it, directly or through a
    group) that its release is withdrawn and the cable is theirs to review again, and its
    release authorities (holders of release who do not also review it) that the release
    they answer for is withdrawn and its re-review will come back to them.

    The notice names this cable only (they may view it), never the cable that withholds
    its text, which may be above their clearance or outside their grants: the review
    page names it to those who may read what it withholds.
    """
    cable = release.cable
    this_cable = CableStatus.objects.filter(cable_id=cable.pk).values("cable_id")
    reviewers = permissions.reviewer_counts(this_cable)
    authorities = set(permissions.reviewer_counts(this_cable, permissions.RELEASE)) - set(reviewers)
    withdrawn = (
        f"The release of {cable.reference_id} (version {release.version}) is withdrawn "
        "from the reading room: another cable's release withholds text it published."
    )
    round_number = done.round.number
    told = 0
    for people, then, link in (
        (
            reviewers,
            f"It is open for re-review (round {round_number}) until its new release is published.",
            reverse("workflow:review", args=[cable.pk]),
        ),
        (
            authorities,
            f"Its reviewers re-review it (round {round_number}); its new release comes to "
            "you for approval.",
            reverse("cables:detail", args=[cable.pk]),
        ),
    ):
        told += notify.notify(
            people,
            kind=Notification.Kind.WITHDRAWN,
            message=f"{withdrawn} {then}",
            link=link,
            cable_count=1,
        )
    return told


def _audit(
    release: Release, cause: Release, done: rounds.Withdrawal, found: list[Conflict]
) -> None:
    audit_record(
        actor=None,
        action=WITHDRAWN,
        cable=release.cable,
        obj=done.round,
        after={
            "release": release.pk,
            "version": release.version,
            "cable": release.cable.reference_id,
            "withheld_in": cause.cable.reference_id,
            "withheld_in_cable_id": cause.cable_id,
            "withheld_release": cause.pk,
            "round": done.round.number,
            "opened": done.opened,
            "conflicts": [conflict_records.conflict_record(c) for c in found],
        },
    )

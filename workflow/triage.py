"""Triage: which cables need a careful read, and which can be confirmed in one action.

``cable_triage`` gives each cable a predicted sensitivity from the learned model (the
highest probability, over its undecided paragraphs, that a paragraph is not released
in full), for the queue to sort by, and says whether every undecided paragraph is
predicted "release in full" at or above the shipped confidence
(``DECLASS_LEARNING_CONFIDENCE_PCT``).  Only numbers leave here, no text.

The figures are the viewer's: computed over the undecided paragraphs they may read
(``workflow.access``), never over one above their clearance, whose text would
otherwise move a figure they see.  How many of the cable's paragraphs are above the
clearance is said beside them (``hidden``), decided or not: which of those have been
decided is itself withheld, so neither the count nor an offer or a refusal depends
on it.

Such a cable is offered as a batch: ``batch_release_confirm`` records a release for
each of its undecided paragraphs in one action, and only when the page showed every
one of them (the caller passes the paragraphs it displayed) and the reviewer is
cleared for every paragraph of the cable: never released unread, and never a batch
that would vouch for a cable the reviewer has not read whole.  Each decision is the
reviewer's own, audited, with the model's version recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count

from cables.models import Cable, Paragraph
from workflow import access, permissions
from workflow.learning import service as learning
from workflow.models import Decision, DecisionOrigin
from workflow.reuse import origin_record
from workflow.review import ReviewError, decision_record

# The one refusal of a batch on a cable with paragraphs above the reviewer's clearance:
# said before anything about the cable's decisions is read, so that it is the same
# whether those paragraphs are decided or not.
ABOVE_CLEARANCE = (
    "some paragraphs of this cable are above your clearance: only a reviewer cleared "
    "for every paragraph confirms it as a batch"
)


@dataclass(frozen=True)
class Triage:
    cable_id: int
    sensitivity: float | None  # None: no model yet, or nothing left the viewer may decide
    all_release_confident: bool
    undecided: int  # undecided paragraphs the viewer may read
    version: int | None
    hidden: int  # paragraphs above the viewer's clearance, decided or not

    def as_dict(self) -> dict[str, Any]:
        return {
            "cable": self.cable_id,
            "sensitivity": None if self.sensitivity is None else round(self.sensitivity, 4),
            "all_release_confident": self.all_release_confident,
            "undecided": self.undecided,
            "hidden": self.hidden,
            "model_version": self.version,
        }


def _undecided(user: Any, cable_ids: Iterable[int]) -> list[Paragraph]:
    """The paragraphs with no decision at all (decisions are never withdrawn, only
    superseded) that the user may read, in one query: grants and clearance are checked
    in it (``access.readable_paragraphs``), so no other paragraph's row is read."""
    ids = list(cable_ids)
    undecided = Paragraph.objects.exclude(
        pk__in=Decision.objects.filter(cable_id__in=ids).values("paragraph_id")
    )
    return list(
        access.readable_paragraphs(user, undecided, cables=ids)
        .only("id", "cable_id", "text", "level", "controls", "ordinal")
        .order_by("cable_id", "ordinal")
    )


def _hidden(user: Any, cable_ids: list[int]) -> dict[int, int]:
    """How many paragraphs of each cable the user may view are above their clearance
    (one query; ``access.paragraphs_hidden`` for many cables).  Every such paragraph
    counts, decided or not: its decision is no more the user's to read than its text."""
    viewable = permissions.cables_for_user(user, permissions.VIEW, among=cable_ids)
    rows = (
        Paragraph.objects.filter(cable_id__in=viewable.values("pk"))
        .exclude(access.cleared(user))
        .values("cable_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["cable_id"]: row["n"] for row in rows}


def cable_triage(user: Any, cable_ids: Iterable[int]) -> dict[int, Triage]:
    """Each cable's predicted sensitivity and all-release flag as ``user`` may see them:
    one query for the undecided paragraphs they may read, one for how many paragraphs
    are above their clearance, and one prediction over all of the former.

    A cable with a paragraph above the user's clearance is never all-release for them:
    confirming it as a batch would vouch for paragraphs they have not read, and whether
    those are decided is not theirs to learn from an offer made or withheld."""
    ids = list(cable_ids)
    paragraphs = _undecided(user, ids)
    hidden = _hidden(user, ids) if ids else {}
    version, predictions = learning.predict_paragraphs(paragraphs)
    threshold = learning.confidence_threshold()
    by_cable: dict[int, list[Any]] = defaultdict(list)
    for p, pred in zip(paragraphs, predictions, strict=False):
        by_cable[p.cable_id].append(pred)
    counts: dict[int, int] = defaultdict(int)
    for p in paragraphs:
        counts[p.cable_id] += 1
    out = {}
    for cable_id in ids:
        preds = by_cable.get(cable_id, [])
        above = hidden.get(cable_id, 0)
        if version is None or not preds:
            out[cable_id] = Triage(cable_id, None, False, counts[cable_id], None, above)
            continue
        sensitivity = max(1 - p.probabilities.get("release", 0.0) for p in preds)
        confident = not above and all(
            p.kind == "release" and p.confidence >= threshold for p in preds
        )
        out[cable_id] = Triage(cable_id, sensitivity, confident, len(preds), version.pk, above)
    return out


def batch_release_confirm(user: Any, cable: Cable, shown_paragraph_ids: Iterable[int]) -> list:
    """Release every undecided paragraph of a cable predicted "release" with confidence,
    in one action, when the page showed every one of them (all or none).

    The clearance is checked first, over every paragraph of the cable: a reviewer not
    cleared for all of them gets one refusal, before any decision is read, so that
    what she is told never depends on whether the paragraphs she may not read are
    decided."""
    permissions.require_cable_perm(user, permissions.REVIEW, cable)
    if access.paragraphs_hidden(user, cable):
        raise ReviewError(ABOVE_CLEARANCE)
    shown = set(shown_paragraph_ids)
    undecided = _undecided(user, [cable.pk])
    if not undecided:
        raise ReviewError("every paragraph of this cable is decided already")
    missing = [p for p in undecided if p.pk not in shown]
    if missing:
        raise ReviewError(
            f"{len(missing)} undecided paragraph(s) were not shown: read every paragraph "
            "before confirming the batch"
        )
    triage = cable_triage(user, [cable.pk])[cable.pk]
    if not triage.all_release_confident:
        raise ReviewError("not every paragraph is predicted release with confidence any more")
    recorded: list[Decision] = []
    with transaction.atomic():
        for paragraph in undecided:
            current = (
                Decision.objects.filter(paragraph=paragraph)
                .order_by("-id")
                .values_list("pk", flat=True)
            ).first()
            decision = decision_record(
                user=user,
                paragraph=paragraph,
                kind=Decision.Kind.RELEASE,
                based_on=current,
                note="confirmed with the cable's batch",
            )
            origin_record(
                user, decision, via=DecisionOrigin.Via.BATCH, model_version_id=triage.version
            )
            recorded.append(decision)
    return recorded

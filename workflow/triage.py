"""Triage: which cables need a careful read, and which can be confirmed in one action.

``cable_triage`` gives each cable a predicted sensitivity from the learned model (the
highest probability, over its undecided paragraphs, that a paragraph is not released
in full), for the queue to sort by, and says whether every undecided paragraph is
predicted "release in full" at or above the shipped confidence
(``DECLASS_LEARNING_CONFIDENCE_PCT``).  Only numbers leave here, no text.

Such a cable is offered as a batch: ``batch_release_confirm`` records a release for
each of its undecided paragraphs in one action, and only when the page showed every
one of them (the caller passes the paragraphs it displayed; a paragraph the reviewer
may not read, or one not shown, refuses the batch: never released unread).  Each
decision is the reviewer's own, audited, with the model's version recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from cables.models import Cable, Paragraph
from workflow import access, permissions
from workflow.learning import service as learning
from workflow.models import Decision, DecisionOrigin
from workflow.reuse import origin_record
from workflow.review import ReviewError, decision_record


@dataclass(frozen=True)
class Triage:
    cable_id: int
    sensitivity: float | None  # None: no model yet, or nothing left to decide
    all_release_confident: bool
    undecided: int
    version: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cable": self.cable_id,
            "sensitivity": None if self.sensitivity is None else round(self.sensitivity, 4),
            "all_release_confident": self.all_release_confident,
            "undecided": self.undecided,
            "model_version": self.version,
        }


def _undecided(cable_ids: Iterable[int]) -> list[Paragraph]:
    """Paragraphs with no decision at all (decisions are never withdrawn, only superseded)."""
    ids = list(cable_ids)
    return list(
        Paragraph.objects.filter(cable_id__in=ids)
        .exclude(pk__in=Decision.objects.filter(cable_id__in=ids).values("paragraph_id"))
        .only("id", "cable_id", "text", "level", "controls", "ordinal")
        .order_by("cable_id", "ordinal")
    )


def cable_triage(cable_ids: Iterable[int]) -> dict[int, Triage]:
    """Each cable's predicted sensitivity and all-release flag (two queries, and one
    prediction over all their undecided paragraphs)."""
    ids = list(cable_ids)
    paragraphs = _undecided(ids)
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
        if version is None or not preds:
            out[cable_id] = Triage(cable_id, None, False, counts[cable_id], None)
            continue
        sensitivity = max(1 - p.probabilities.get("release", 0.0) for p in preds)
        confident = all(p.kind == "release" and p.confidence >= threshold for p in preds)
        out[cable_id] = Triage(cable_id, sensitivity, confident, len(preds), version.pk)
    return out


def batch_release_confirm(user: Any, cable: Cable, shown_paragraph_ids: Iterable[int]) -> list:
    """Release every undecided paragraph of a cable predicted "release" with confidence,
    in one action, when the page showed every one of them (all or none)."""
    permissions.require_cable_perm(user, permissions.REVIEW, cable)
    shown = set(shown_paragraph_ids)
    undecided = _undecided([cable.pk])
    if not undecided:
        raise ReviewError("every paragraph of this cable is decided already")
    readable = set(
        access.readable_paragraphs(
            user, Paragraph.objects.filter(pk__in=[p.pk for p in undecided])
        ).values_list("pk", flat=True)
    )
    if len(readable) < len(undecided):
        raise ReviewError("some paragraphs are above your clearance: they cannot be confirmed")
    missing = [p for p in undecided if p.pk not in shown]
    if missing:
        raise ReviewError(
            f"{len(missing)} undecided paragraph(s) were not shown: read every paragraph "
            "before confirming the batch"
        )
    triage = cable_triage([cable.pk])[cable.pk]
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

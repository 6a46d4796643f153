"""Quality control by sampling: a second reviewer re-decides a share of decisions blind.

Which decisions: a share (``DECLASS_QC_SAMPLE_PCT``, default 5) of every reviewer's
current decisions, chosen by a hash of the decision's id (``md5('qc:' || id)``, the
same in SQL and in Python), so the choice is fixed, needs no stored state, and cannot
be steered by the reviewer.  A sampled decision is a task, before approval (the cable
in review or reviewed), for any other reviewer who may review the cable and read the
paragraph; it is blind: the task carries the paragraph and never the first decision,
its reviewer, or a suggestion.  The re-decision is stored (``QCReview``, append-only)
with whether it agrees: the same kind, and the same exemptions.

``pending_for_cable`` counts the sampled decisions of a cable still waiting for their
re-decision (what an approval guard asks); ``agreement`` gives a supervisor the
agreement rates per reviewer, per exemption, and between the model and the reviewers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from audit.trail import audit_record
from cables.models import Paragraph
from workflow import access, permissions
from workflow.models import Decision, DecisionOrigin, QCReview, SuggestionShown
from workflow.review import ConcurrentDecision, _decision_fields
from workflow.sampling import (  # noqa: F401  (qc.pending_for_cable, qc.sampled... as before)
    BEFORE_APPROVAL,
    BUCKETS,
    bucket,
    is_sampled,
    open_samples,
    pending_for_cable,
    sample_pct,
    sampled,
)

SUPERVISE = "workflow.supervise_review"
# The sampling itself lives in workflow.sampling (the approval guard in workflow.review
# asks it too); these names stay importable from here.
_open_samples = open_samples


@dataclass(frozen=True)
class Task:
    """A blind re-decision to make: the paragraph only, never the first decision."""

    decision_id: int
    paragraph: Paragraph

    def as_dict(self) -> dict[str, Any]:
        p = self.paragraph
        return {
            "task": self.decision_id,
            "cable": p.cable_id,
            "cable_reference": p.cable.reference_id,
            "paragraph": p.pk,
            "ordinal": p.ordinal,
            "number": p.number,
            "level": p.level,
            "controls": p.controls,
            "text": p.text,
        }


def _tasks_qs(user: Any) -> QuerySet[Decision]:
    mine = _open_samples().exclude(decided_by=user)
    mine = permissions.only_permitted(mine, "cable_id", user, permissions.REVIEW)
    readable = access.readable_paragraphs(user).values("pk")
    return mine.filter(paragraph_id__in=readable)


def tasks_queryset(user: Any) -> QuerySet[Decision]:
    """The sampled decisions waiting for this user's re-decision (not their own; cables
    they may review; paragraphs they may read), oldest first.  Callers show the
    paragraph only (``Task``), never the decision itself."""
    if not getattr(user, "is_active", False):
        return Decision.objects.none()
    return _tasks_qs(user).select_related("paragraph", "paragraph__cable").order_by("id")


def tasks_for(user: Any, *, limit: int = 200) -> list[Task]:
    """``tasks_queryset`` as blind tasks."""
    return [Task(d.pk, d.paragraph) for d in tasks_queryset(user)[:limit]]


def _exemptions(kind: str, spans: Sequence[dict[str, Any]], label: str) -> list[str]:
    if kind == Decision.Kind.WITHHOLD:
        return [label] if label else []
    if kind == Decision.Kind.REDACT:
        return sorted({str(s.get("label", "")) for s in spans if s.get("label")})
    return []


def agrees(first: Decision, kind: str, spans: Sequence[dict[str, Any]], label: str) -> bool:
    """Same kind, and the same exemptions cited (spans may differ by a word)."""
    return first.kind == kind and _exemptions(first.kind, first.spans, first.label) == (
        _exemptions(kind, spans, label)
    )


def redecide(
    *,
    user: Any,
    decision_id: int,
    kind: str,
    spans: Sequence[dict[str, Any]] = (),
    label: str = "",
    agency: str = "",
) -> QCReview:
    """Record a blind re-decision of a sampled decision (once; a second one is refused)."""
    decision = _tasks_qs(user).select_related("paragraph", "cable").filter(pk=decision_id).first()
    if decision is None:
        raise Http404("No QC task matches the given query.")
    fields = _decision_fields(decision.paragraph, kind, spans, label, agency)
    review = QCReview(
        decision=decision,
        reviewer=user,
        kind=kind,
        spans=fields.get("spans", []),
        label=fields.get("label", ""),
        referral_agency=fields.get("referral_agency", ""),
        agrees=agrees(decision, kind, fields.get("spans", []), fields.get("label", "")),
        decided_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            review.save()
            audit_record(
                actor=user,
                action="qc.redecided",
                cable=decision.cable,
                paragraph_id=decision.paragraph_id,
                obj=review,
                after={"decision": decision.pk, "kind": kind, "agrees": review.agrees},
            )
    except IntegrityError:
        raise ConcurrentDecision("another reviewer re-decided this sample meanwhile") from None
    return review


# -- agreement rates -----------------------------------------------------------------------


def _rate(agreed: int, total: int) -> dict[str, Any]:
    return {"n": total, "agreed": agreed, "rate": round(agreed / total, 4) if total else None}


def agreement(supervisor: Any) -> dict[str, Any]:
    """Agreement rates on the cables the supervisor may view, over the paragraphs within
    their clearance: between first and second
    reviewers (per reviewer, per exemption of the first decision) and between the
    model's suggestion shown and the decision then taken (per suggested kind)."""
    if not (getattr(supervisor, "is_active", False) and supervisor.has_perm(SUPERVISE)):
        raise Http404("Not found.")
    # Samples of paragraphs above the supervisor's clearance are not counted: a rate per
    # exemption over one sample tells how that paragraph was decided.
    reviews = permissions.only_permitted(
        QCReview.objects.select_related("decision", "decision__decided_by").filter(
            access.cleared(supervisor, "decision__paragraph__")
        ),
        "decision__cable_id",
        supervisor,
        permissions.VIEW,
    )
    per_reviewer: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_exemption: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0]
    for review in reviews:
        first = review.decision
        for bucket_ in (
            per_reviewer[first.decided_by.get_username()],
            total,
            *(
                per_exemption[e]
                for e in (_exemptions(first.kind, first.spans, first.label) or ["(none)"])
            ),
        ):
            bucket_[0] += int(review.agrees)
            bucket_[1] += 1
    return {
        "sample_pct": sample_pct(),
        "overall": _rate(*total),
        "per_reviewer": {k: _rate(*v) for k, v in sorted(per_reviewer.items())},
        "per_exemption": {k: _rate(*v) for k, v in sorted(per_exemption.items())},
        "model_vs_reviewers": _model_agreement(supervisor),
    }


def _model_agreement(supervisor: Any) -> dict[str, Any]:
    """For each decision taken while a learned suggestion was on screen: did the
    reviewer decide what the model suggested?"""
    origins = permissions.only_permitted(
        DecisionOrigin.objects.filter(model_version__isnull=False)
        .filter(access.cleared(supervisor, "decision__paragraph__"))
        .select_related("decision"),
        "decision__cable_id",
        supervisor,
        permissions.VIEW,
    )
    decisions = [o.decision for o in origins]
    shown: dict[tuple[int, int], list[SuggestionShown]] = defaultdict(list)
    for row in SuggestionShown.objects.filter(
        source=SuggestionShown.Source.LEARNED,
        paragraph_id__in=[d.paragraph_id for d in decisions],
    ).order_by("shown_at"):
        shown[(row.user_id, row.paragraph_id)].append(row)
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confident = [0, 0]
    total = [0, 0]
    threshold = getattr(settings, "DECLASS_LEARNING_CONFIDENCE_PCT", 95) / 100
    for decision in decisions:
        before = [
            s
            for s in shown.get((decision.decided_by_id, decision.paragraph_id), [])
            if s.shown_at <= decision.decided_at
        ]
        if not before:
            continue
        suggestion = before[-1]
        same = int(suggestion.kind == decision.kind)
        buckets = [per_kind[suggestion.kind], total]
        if (suggestion.confidence or 0) >= threshold:
            buckets.append(confident)
        for b in buckets:
            b[0] += same
            b[1] += 1
    return {
        "overall": _rate(*total),
        "confident": _rate(*confident),
        "per_suggested_kind": {k: _rate(*v) for k, v in sorted(per_kind.items())},
    }

"""The subject line as a portion reviewers decide.

A cable's subject is marked like a paragraph (``Cable.subject_level``: its own portion
mark, or unmarked the cable's level, ``workflow.access.subject_level``).  One above
UNCLASSIFIED is read only by users cleared for it, and at declassification most such
subjects are released: so, like a paragraph, it is decided by a reviewer of the cable
cleared for it, released or withheld whole under an exemption.  (Redacting part of a
subject is not offered: a subject is one short line, and a release that boxed some of
its words would need the redaction checks of paragraphs in the header; withhold it
whole instead.)  An UNCLASSIFIED subject (or none) needs no decision.

Decisions are a record, like paragraph decisions: append-only in the database
(``SubjectDecision``, workflow migration 0012), each superseding the one before,
audited in the same transaction, and counted by the two-person rule
(``workflow.review.reviewed_by``): who decided the subject may not approve the
release.  Moving the cable to reviewed (or further) needs the decision
(``workflow.review._guard``), and the release prints the subject as decided
(``releases.services.header_in``).

This module imports nothing of ``workflow.review`` (which asks it), so it opens the
review on a first decision itself, as a paragraph's first decision does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from audit.trail import audit_record
from cables.markings import Level
from cables.models import Cable
from redaction.engine import LabelError, parse_label
from workflow import access, permissions, rounds
from workflow.models import CableStatus, ReviewState, SubjectDecision


class SubjectDecisionError(Exception):
    """A subject decision that cannot be recorded; the message says why."""


class ConcurrentSubjectDecision(SubjectDecisionError):
    """Someone else decided the subject since this reviewer loaded it."""


def needs_decision(cable: Cable) -> bool:
    """Whether the cable's subject must be decided before the review is finished: it has
    one, and it is above UNCLASSIFIED (marked so, or unmarked in a classified cable)."""
    return bool((cable.subject or "").strip()) and access.subject_level(cable) > Level.U


def current(cable: Cable | int, *, as_of: datetime | None = None) -> SubjectDecision | None:
    """The subject's latest decision (one query), or the latest recorded by ``as_of``:
    a release's approved one is the one current when it was approved, since nothing is
    decided while a cable is reviewed or approved."""
    rows = SubjectDecision.objects.filter(cable_id=getattr(cable, "pk", cable))
    if as_of is not None:
        rows = rows.filter(decided_at__lte=as_of)
    return rows.select_related("decided_by").order_by("-id").first()


def undecided(cable: Cable) -> bool:
    """Whether the subject needs a decision and has none yet."""
    return needs_decision(cable) and not SubjectDecision.objects.filter(cable=cable).exists()


def decided_by(user: Any, cable: Cable) -> bool:
    """Whether the user decided the cable's subject (the two-person rule counts it)."""
    return SubjectDecision.objects.filter(cable=cable, decided_by=user).exists()


def may_decide(user: Any, cable: Cable) -> bool:
    """Whether the user may decide the subject: it needs a decision, they review the
    cable and are cleared for the subject's level."""
    return (
        needs_decision(cable)
        and access.may_read_subject(user, cable)
        and permissions.has_cable_perm(user, permissions.REVIEW, cable)
    )


def describe(decision: SubjectDecision | None) -> str:
    """A decision in words, without the subject's text ("withhold in full (b)(1)")."""
    if decision is None:
        return "no decision"
    text = decision.get_kind_display().lower()
    return f"{text} {decision.label}" if decision.label else text


def summary(decision: SubjectDecision | None) -> dict[str, Any] | None:
    """What the audit trail records of a decision (never the subject's text)."""
    if decision is None:
        return None
    return {
        "id": decision.pk,
        "kind": decision.kind,
        "label": decision.label,
        "level": decision.subject_level,
        "round": decision.review_round,
    }


def _fields(kind: str, label: str) -> dict[str, str]:
    if kind == SubjectDecision.Kind.RELEASE:
        return {}
    if kind == SubjectDecision.Kind.WITHHOLD:
        try:
            return {"label": str(parse_label(label))}
        except LabelError as exc:
            raise SubjectDecisionError(f"withholding the subject: {exc}") from None
    raise SubjectDecisionError(
        f"unknown subject decision {kind!r}: release it, or withhold it under an exemption"
    )


def _open_review(status: CableStatus, user: Any, cable: Cable, note: str) -> None:
    """The first decision opens the review (as ``workflow.review.decision_record`` does)."""
    before = status.review_state
    status.review_state = ReviewState.IN_REVIEW
    status.save(update_fields=["review_state"])
    audit_record(
        actor=user,
        action="state.changed",
        cable=cable,
        before={"state": before},
        after={"state": ReviewState.IN_REVIEW, "note": note},
    )


def _conflict_message(latest: SubjectDecision | None) -> str:
    if latest is None:
        return "the subject's decision changed meanwhile; reload the cable"
    return (
        f"{latest.decided_by.get_username()} decided the subject ({describe(latest)}) at "
        f"{latest.decided_at:%H:%M:%S} while you were looking at it; reload to see their "
        "decision before changing it"
    )


def subject_decision_record(
    *,
    user: Any,
    cable: Cable,
    kind: str,
    based_on: int | None,
    label: str = "",
    note: str = "",
) -> SubjectDecision:
    """Record a reviewer's decision on the cable's subject (a new row; nothing is
    overwritten), audited in the same transaction.

    Refused as absent (``Http404``) to a user who does not review the cable or is not
    cleared for its subject; refused (``SubjectDecisionError``) when the subject needs
    no decision or the cable's decisions are closed.  ``based_on`` is the id of the
    decision the reviewer saw (None: none yet): if another was recorded since,
    ``ConcurrentSubjectDecision``.
    """
    permissions.require_cable_perm(user, permissions.REVIEW, cable)
    if not access.may_read_subject(user, cable):
        raise Http404("No subject matches the given query.")  # above clearance: as if absent
    if not needs_decision(cable):
        raise SubjectDecisionError(
            "this cable's subject is unclassified (or it has none): it needs no decision"
        )
    fields = _fields(kind, label)
    with transaction.atomic():
        status = CableStatus.objects.select_for_update().get(cable=cable)
        open_round = rounds.open_round(cable.pk)
        if status.review_state in (ReviewState.INGESTED, ReviewState.DUE, ReviewState.RETURNED):
            _open_review(status, user, cable, "first decision (the subject)")
        elif status.review_state == ReviewState.RELEASED and open_round is not None:
            note_ = f"re-review round {open_round.number}: first decision (the subject)"
            _open_review(status, user, cable, note_)
        elif status.review_state != ReviewState.IN_REVIEW:
            raise SubjectDecisionError(
                f"the cable is {status.get_review_state_display().lower()}; decisions are closed"
            )
        latest = current(cable)
        if (latest.pk if latest else None) != based_on:
            raise ConcurrentSubjectDecision(_conflict_message(latest))
        try:
            with transaction.atomic():
                decision = SubjectDecision.objects.create(
                    cable=cable,
                    kind=kind,
                    subject_level=access.subject_level(cable),
                    note=note,
                    supersedes=latest,
                    decided_by=user,
                    decided_at=timezone.now(),
                    review_round=open_round.number if open_round is not None else 1,
                    **fields,
                )
        except IntegrityError:
            raise ConcurrentSubjectDecision(_conflict_message(current(cable))) from None
        audit_record(
            actor=user,
            action="subject_decision.recorded",
            cable=cable,
            obj=decision,
            before=summary(latest),
            after=summary(decision),
        )
    return decision


def history(user: Any, cable: Cable) -> list[SubjectDecision]:
    """The subject's decisions, oldest first, for a user cleared for the subject (the
    caller has checked they review the cable); nothing for anyone else."""
    if not access.may_read_subject(user, cable):
        return []
    return list(
        SubjectDecision.objects.filter(cable=cable).select_related("decided_by").order_by("id")
    )

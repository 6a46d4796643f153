"""Reviewing a cable: paragraph decisions and moves between workflow states.

Every function here checks permissions itself (views check too), records an
audit entry in the same transaction as its change, and refuses with a
message a person can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.trail import audit_record
from cables.models import Cable, Paragraph
from redaction.engine import LabelError, parse_label
from workflow import access, notify, permissions, rounds, rows, sampling, subject
from workflow.models import CableStatus, Decision, Notification, ReviewState
from workflow.permissions import clearance_level
from workflow.states import NEEDS_OPEN_ROUND, TransitionError, allowed
from workflow.sweep import handled_date


class ReviewError(Exception):
    """A decision that cannot be recorded; the message says why."""


class ConcurrentDecision(ReviewError):
    """Someone else decided the paragraph since this reviewer loaded it."""


def current_decisions(cable: Cable) -> dict[int, Decision]:
    """The latest decision of each decided paragraph of the cable, with who decided
    it (one query).

    ``DISTINCT ON (paragraph_id) ... ORDER BY paragraph_id, id DESC`` reads the cable's
    decisions once along ``decision_cable_idx``; the ``Max(id)`` subquery it replaces
    grouped them and then probed the table again for each winner.  Every field stays
    loaded: releases, occurrences and the API read spans, notes and labels from these.

    The statement is written once per process (``_latest_statement``): built and
    compiled by the ORM at every call it cost about 0.5 ms of Python, five times what
    PostgreSQL takes to answer it, on every review, approval and release page.
    """
    sql, decisions, users = _latest_statement(get_user_model())
    with connection.cursor() as cursor:
        cursor.execute(sql, [cable.pk])
        fetched = cursor.fetchall()
    latest = {}
    for row in fetched:
        decision = decisions.instance(row)
        Decision.decided_by.field.set_cached_value(decision, users.instance(row, decisions.width))
        latest[decision.paragraph_id] = decision
    return latest


@lru_cache(maxsize=4)
def _latest_statement(user_model: type[Model]) -> tuple[str, rows.Reader, rows.Reader]:
    """The latest decisions of a cable and who decided them (``workflow.rows``), as
    ``select_related("decided_by")`` would read them (for each user model a test may
    swap in)."""
    decisions, users = rows.reader(Decision), rows.reader(user_model)
    decided_by = connection.ops.quote_name(Decision._meta.get_field("decided_by").column)
    user_pk = connection.ops.quote_name(user_model._meta.pk.column)
    # Table and column names from the models' metadata, quoted; the cable is bound.
    sql = (
        f"SELECT DISTINCT ON (d.paragraph_id) {decisions.select_list('d')},"  # nosec B608
        f" {users.select_list('u')} FROM {rows.table(Decision)} d"
        f" JOIN {rows.table(user_model)} u ON u.{user_pk} = d.{decided_by}"
        " WHERE d.cable_id = %s ORDER BY d.paragraph_id, d.id DESC"
    )
    return sql, decisions, users


def _label(text: str, what: str) -> str:
    try:
        return str(parse_label(text))
    except LabelError as exc:
        raise ReviewError(f"{what}: {exc}") from None


def _clean_spans(paragraph: Paragraph, spans: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not spans:
        raise ReviewError("a release with redactions needs at least one redacted span")
    clean = []
    for span in spans:
        try:
            start, end = int(span["start"]), int(span["end"])
        except (KeyError, TypeError, ValueError):
            raise ReviewError("each redaction needs a start and an end offset") from None
        if not 0 <= start < end <= len(paragraph.text):
            raise ReviewError(f"redaction {start}-{end} is outside the paragraph")
        clean.append(
            {
                "start": start,
                "end": end,
                "label": _label(str(span.get("label", "")), f"redaction {start}-{end}"),
            }
        )
    return sorted(clean, key=lambda s: (s["start"], s["end"]))


def _decision_fields(
    paragraph: Paragraph, kind: str, spans: Sequence[dict[str, Any]], label: str, agency: str
) -> dict[str, Any]:
    if kind == Decision.Kind.RELEASE:
        return {}
    if kind == Decision.Kind.REDACT:
        return {"spans": _clean_spans(paragraph, spans)}
    if kind == Decision.Kind.WITHHOLD:
        return {"label": _label(label, "withholding")}
    if kind == Decision.Kind.REFER:
        if not agency.strip():
            raise ReviewError("a referral must name the agency it goes to")
        return {"referral_agency": agency.strip()}
    raise ReviewError(f"unknown decision {kind!r}")


def decision_record(
    *,
    user: Any,
    paragraph: Paragraph,
    kind: str,
    based_on: int | None,
    spans: Sequence[dict[str, Any]] = (),
    label: str = "",
    agency: str = "",
    note: str = "",
) -> Decision:
    """Record a reviewer's decision on a paragraph (a new row; nothing is overwritten).

    ``based_on`` is the id of the decision the reviewer saw (None: none yet).
    If another decision was recorded since, ``ConcurrentDecision`` is raised.
    """
    cable = paragraph.cable
    permissions.require_cable_perm(user, permissions.REVIEW, cable)
    if paragraph.level > permissions.clearance_level(user):
        raise Http404("No paragraph matches the given query.")  # above clearance: as if absent
    fields = _decision_fields(paragraph, kind, spans, label, agency)
    with transaction.atomic():
        status = CableStatus.objects.select_for_update().get(cable=cable)
        open_round = rounds.open_round(cable.pk)
        if status.review_state in (ReviewState.INGESTED, ReviewState.DUE, ReviewState.RETURNED):
            _move(status, ReviewState.IN_REVIEW, user, cable, note="first decision")
        elif status.review_state == ReviewState.RELEASED and open_round is not None:
            note = f"re-review round {open_round.number}: first decision"
            _move(status, ReviewState.IN_REVIEW, user, cable, note=note)
        elif status.review_state != ReviewState.IN_REVIEW:
            raise ReviewError(
                f"the cable is {status.get_review_state_display().lower()}; decisions are closed"
            )
        current = Decision.objects.filter(paragraph=paragraph).order_by("-id").first()
        if (current.pk if current else None) != based_on:
            raise ConcurrentDecision(_conflict_message(current))
        try:
            with transaction.atomic():
                decision = Decision.objects.create(
                    cable=cable,
                    paragraph=paragraph,
                    kind=kind,
                    note=note,
                    supersedes=current,
                    decided_by=user,
                    decided_at=timezone.now(),
                    review_round=open_round.number if open_round is not None else 1,
                    **fields,
                )
        except IntegrityError:
            latest = Decision.objects.filter(paragraph=paragraph).order_by("-id").first()
            raise ConcurrentDecision(_conflict_message(latest)) from None
        audit_record(
            actor=user,
            action="decision.recorded",
            cable=cable,
            paragraph_id=paragraph.pk,
            obj=decision,
            before=_decision_summary(current),
            after=_decision_summary(decision),
        )
    return decision


def _conflict_message(current: Decision | None) -> str:
    if current is None:
        return "this paragraph's decision was withdrawn meanwhile; reload the cable"
    who = current.decided_by.get_username()
    return (
        f"{who} decided this paragraph ({current.get_kind_display().lower()}) at "
        f"{current.decided_at:%H:%M:%S} while you were looking at it; reload to see their "
        "decision before changing it"
    )


def _decision_summary(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "id": decision.pk,
        "kind": decision.kind,
        "spans": decision.spans,
        "label": decision.label,
        "agency": decision.referral_agency,
        "round": decision.review_round,
    }


# -- states -------------------------------------------------------------------------------

_NEEDS = {
    ReviewState.IN_REVIEW: permissions.REVIEW,
    ReviewState.REVIEWED: permissions.REVIEW,
    ReviewState.APPROVED: permissions.RELEASE,
    ReviewState.RETURNED: permissions.RELEASE,
    ReviewState.RELEASED: permissions.RELEASE,
    ReviewState.DUE: permissions.RELEASE,
}


# Moves by which a user vouches for every paragraph of the cable.
_VOUCHING = (ReviewState.REVIEWED, ReviewState.APPROVED, ReviewState.RELEASED)


def reviewed_by(user: Any, cable: Cable) -> str | None:
    """How the user took part in the cable's review, if they did (None otherwise).

    The two-person rule: whoever decided a paragraph or the subject, or moved the
    cable to *reviewed*, may not approve its release.
    """
    if Decision.objects.filter(cable=cable, decided_by=user).exists():
        return "you decided paragraphs of this cable"
    if subject.decided_by(user, cable):
        return "you decided this cable's subject"
    finished = AuditEvent.objects.filter(
        cable_id=cable.pk, action="state.changed", actor=user, after__state=ReviewState.REVIEWED
    )
    if finished.exists():
        return "you finished this cable's review"
    return None


def _guard(status: CableStatus, target: str, user: Any, cable: Cable, release: Any) -> None:
    if (status.review_state, target) in NEEDS_OPEN_ROUND and rounds.open_round(cable.pk) is None:
        raise TransitionError(
            "a released cable is reviewed again only in a re-review round, which the due "
            "sweep opens when a date that dated it comes due"
        )
    if target in _VOUCHING:
        above = access.above_clearance(user, cable, to_release=target != ReviewState.REVIEWED)
        if above:
            raise TransitionError(
                f"{above} of this cable above your clearance: only a user cleared for "
                "every paragraph and the subject (and, past review, the cable's level) may "
                "move it to "
                f"{ReviewState(target).label.lower()}"
            )
    if target == ReviewState.RELEASED and not (
        release is not None and release.cable_id == cable.pk and release.published
    ):
        # Publication happens only after the release's outputs pass verification
        # (releases.services.release_generate), which then makes this move itself.
        raise TransitionError(
            "a cable is released only by publishing its verified release: approve it on "
            "the approval page"
        )
    if target in (ReviewState.REVIEWED, ReviewState.APPROVED, ReviewState.RELEASED):
        decided = current_decisions(cable)
        undecided = cable.paragraphs.exclude(pk__in=list(decided)).count()
        if undecided:
            raise TransitionError(f"{undecided} paragraph(s) have no decision yet")
        if subject.undecided(cable):  # a classified subject is a portion (workflow.subject)
            raise TransitionError("the subject has no decision yet: release or withhold it")
        referred = [d for d in decided.values() if d.kind == Decision.Kind.REFER]
        if referred and target != ReviewState.REVIEWED:
            # Agencies named only where the user may read the paragraph referred.
            cleared = set(
                cable.paragraphs.filter(
                    pk__in=[d.paragraph_id for d in referred], level__lte=clearance_level(user)
                ).values_list("pk", flat=True)
            )
            agencies = sorted({d.referral_agency for d in referred if d.paragraph_id in cleared})
            others = sum(1 for d in referred if d.paragraph_id not in cleared)
            named = [f"to {', '.join(agencies)}"] if agencies else []
            if others:
                named.append(f"{others} on paragraph(s) above your clearance")
            raise TransitionError(f"referral {' and '.join(named)} is not answered yet")
    part = reviewed_by(user, cable) if target == ReviewState.APPROVED else None
    if part:
        raise TransitionError(
            f"two-person rule: {part}, so another release authority must approve it"
        )
    if target == ReviewState.APPROVED:
        _require_qc_done(cable)


def _require_qc_done(cable: Cable) -> None:
    """Quality control comes before approval: while a sampled decision of the cable
    waits for a second reviewer's blind re-decision (``workflow.sampling``), no
    approval, whoever asks and however (approval page, queue, API)."""
    pending = sampling.pending_for_cable(cable.pk)
    if pending:
        raise TransitionError(
            f"quality control: {pending} decision(s) of this cable are sampled for a "
            "second reviewer's blind re-decision (their Second look page) and wait for it; "
            "approve once it is made"
        )


def _move(status: CableStatus, target: str, user: Any, cable: Cable, note: str) -> None:
    before = status.review_state
    status.review_state = target
    fields = ["review_state"]
    if target == ReviewState.RELEASED:
        # The dates up to the sweep's cutoff are handled: only a later date brings it
        # back, as a re-review round (workflow.sweep.handled_date).
        status.due_for_date = handled_date(flagged_for=status.due_for_date)
        fields.append("due_for_date")
    status.save(update_fields=fields)
    audit_record(
        actor=user,
        action="state.changed",
        cable=cable,
        before={"state": before},
        after={"state": target, "note": note},
    )


def cable_transition(
    *, user: Any, cable: Cable, target: str, note: str = "", release: Any = None
) -> CableStatus:
    """Move a cable to ``target`` if the table, the permissions and the guards allow it.

    RELEASED needs ``release``: the cable's release, published after verification.
    """
    needed = _NEEDS.get(target)
    if needed is None:
        raise TransitionError(f"no cable can be moved to {target!r} by hand")
    permissions.require_cable_perm(user, needed, cable)
    with transaction.atomic():
        status = CableStatus.objects.select_for_update().get(cable=cable)
        if not allowed(status.review_state, target):
            raise TransitionError(
                f"a cable {status.get_review_state_display().lower()} cannot become "
                f"{ReviewState(target).label.lower()}"
            )
        _guard(status, target, user, cable, release)
        _move(status, target, user, cable, note)
        if target == ReviewState.RETURNED:
            _notify_returned(user, cable, note)
    return status


def _notify_returned(user: Any, cable: Cable, note: str) -> int:
    """Tell the cable's reviewers (whoever holds review on it, directly or through a
    group, and is active) that it came back for rework, and where to read why.

    The notice names the cable (each of them may view it) and who returned it, never
    the note: a note may quote the cable, and a notice is e-mailed; the review page
    shows the note to whoever is cleared for the whole cable (``latest_return``).
    """
    reviewers = permissions.reviewer_counts(
        CableStatus.objects.filter(cable_id=cable.pk).values("cable_id")
    )
    who = user.get_username() if hasattr(user, "get_username") else str(user)
    why = " with a note, on its review page" if note.strip() else ""
    return notify.notify(
        (pk for pk in reviewers if pk != getattr(user, "pk", None)),
        kind=Notification.Kind.RETURNED,
        message=f"{cable.reference_id} was returned for rework by {who}{why}.",
        link=reverse("workflow:review", args=[cable.pk]),
        cable_count=1,
    )


# States in which a cable may be in rework after a return: returned, moved back to due by
# the sweep, or opened again by a reviewer's first decision.
_REWORK_STATES = (ReviewState.RETURNED, ReviewState.DUE, ReviewState.IN_REVIEW)


@dataclass(frozen=True)
class ReturnNote:
    """Why a cable in rework was returned: who returned it, when, and their note
    (``None`` when the reader is not cleared for every portion of the cable)."""

    by: str
    at: datetime
    note: str | None


def latest_return(user: Any, cable: Cable, *, hidden: int | None = None) -> ReturnNote | None:
    """The latest return for rework of a cable still in rework (no review finished
    since), as a reviewer of it reads it; ``None`` when there is none.

    The note is the release authority's own words, yet it may quote the cable: it is
    shown only to a reader cleared for the cable's level, every paragraph and the subject
    (``access.notes_readable``, without its query: the caller has checked the grant),
    others read who returned the cable and when.  ``hidden``: how
    many paragraphs are above the reader's clearance, when the caller knows it (the
    review page); else it is counted.  At most two queries, none outside rework.
    """
    state = getattr(getattr(cable, "status", None), "review_state", None)
    if state not in _REWORK_STATES:
        return None
    last = (
        AuditEvent.objects.filter(
            cable_id=cable.pk,
            action="state.changed",
            after__state__in=[ReviewState.RETURNED, ReviewState.REVIEWED],
        )
        .order_by("-id")
        .values("actor_name", "at", "after")
        .first()
    )
    if last is None or (last["after"] or {}).get("state") != ReviewState.RETURNED:
        return None
    if hidden is None:
        hidden = permissions.paragraphs_above_clearance(user, cable)
    # Read as the cable's notes are everywhere (the audit trail, the API): cleared for its
    # level, its subject and every paragraph.
    cleared = access.raw_text_readable_when_authorised(user, cable, hidden=hidden)
    note = str((last["after"] or {}).get("note") or "")
    return ReturnNote(by=last["actor_name"], at=last["at"], note=note if cleared else None)


def bulk_transition(*, user: Any, cable_ids: Sequence[int], target: str) -> dict[str, list]:
    """Move many cables, checking every one on the server like a single move.

    Returns {"moved": [reference ids], "refused": [(reference id or id, reason)]};
    a cable the user may not see is reported by id as not found, never named.
    """
    needed = _NEEDS.get(target)
    if needed is None:
        raise TransitionError(f"no cable can be moved to {target!r} by hand")
    visible = {c.pk: c for c in permissions.cables_for_user(user, needed).filter(pk__in=cable_ids)}
    result: dict[str, list] = {"moved": [], "refused": []}
    for pk in cable_ids:
        cable = visible.get(pk)
        if cable is None:
            result["refused"].append((str(pk), "not found"))
            continue
        try:
            cable_transition(user=user, cable=cable, target=target)
            result["moved"].append(cable.reference_id)
        except TransitionError as exc:
            result["refused"].append((cable.reference_id, str(exc)))
    return result

"""Approving, generating, verifying and publishing releases.

The release authority's approval (``release_request``) records what was approved
and queues generation after commit; ``release_generate`` (run by a Celery task, or
in-process in eager mode) lays the release out, verifies every output and only
then publishes it: files, manifest, version, the cable's move to RELEASED and the
audit entry in one transaction.  A failed verification blocks the release and
records why; nothing of it is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Case, Max, Value, When
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.trail import audit_record
from cables.markings import Level
from cables.models import Cable, Paragraph
from cables.words import corpus_common_words
from config.celery import queue_task
from releases import conflicts as consistency
from releases.document import (
    ApprovalIn,
    DecisionIn,
    DocumentError,
    HeaderIn,
    ParagraphIn,
    ReleaseDocument,
    build_document,
)
from releases.models import Release, ReleaseFile
from releases.render import RENDERERS, Renderer
from releases.verify import Report, manifest_bytes, verify_checksums, verify_outputs
from releases.withheld import (
    Repeat,
    place_problems,
    repeat_places,
    repeats,
    withholding_index,
)
from workflow import access, permissions, rounds, subject
from workflow.consistency import release_conflicts
from workflow.models import CableStatus, Decision, ReviewState, SubjectDecision
from workflow.review import cable_transition, current_decisions, reviewed_by

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
INDEX = "withholding-index.json"
MANIFEST_FORMAT = "declass-release/1"
_CASE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")


class ReleaseError(Exception):
    """A release that cannot be approved; the message says why and what to do."""


class RepeatsWithheld(ReleaseError):
    """The decisions release what they withhold elsewhere in the cable (``places``:
    paragraph, ordinal, what it repeats, character ranges; never the text)."""

    def __init__(self, message: str, places: list[tuple[str, int, str, list[tuple[int, int]]]]):
        super().__init__(message)
        self.places = places


class StaleApproval(ReleaseError):
    """What the authority approved is not what the cable now says (``changes``: what
    changed since the approval page was shown, paragraph by paragraph; never text)."""

    def __init__(self, changes: list[str]):
        super().__init__(
            "the cable changed since the approval page was loaded ("
            + "; ".join(changes)
            + "): nothing was approved; review the page again"
        )
        self.changes = changes


# -- inputs from the database -------------------------------------------------------------


# The exemption a subject classified above UNCLASSIFIED is withheld under, whole, while no
# reviewer has decided it (the review cannot be finished so: ``workflow.review._guard``).
SUBJECT_EXEMPTION = "(b)(1)"


def header_in(cable: Cable, *, as_of: datetime | None = None) -> HeaderIn:
    """The header a release may carry.  A subject whose level (``workflow.access.
    subject_level``: its own mark, or the cable's when unmarked) is above UNCLASSIFIED
    is a portion reviewers decide (``workflow.subject``): released, it is printed;
    withheld, boxed whole under the reviewers' exemption; undecided, boxed whole under
    (b)(1).  ``as_of``: the decision current then (a release's approval time: nothing
    is decided while a cable is reviewed or approved), else the current one.  The
    level and the decision travel with the header, so that verification holds the
    release to them."""
    level = access.subject_level(cable)
    has_subject = bool(cable.subject.strip())
    withheld, released = "", False
    if has_subject and subject.needs_decision(cable):
        decided = subject.current(cable, as_of=as_of)
        if decided is not None and decided.kind == SubjectDecision.Kind.RELEASE:
            released = True
        else:
            withheld = decided.label if decided is not None else SUBJECT_EXEMPTION
    controls = "".join(f"//{c}" for c in cable.controls)
    return HeaderIn(
        reference_id=cable.reference_id,
        dtg=cable.dtg,
        sent_at=cable.sent_at,
        originator=cable.originator,
        origin=cable.origin,
        to=tuple(cable.to_addressees),
        info=tuple(cable.info_addressees),
        classification=Level(cable.level).banner + controls,
        executive_order=cable.executive_order,
        decl=cable.decl,
        classified_by=cable.classified_by,
        reasons=tuple(cable.reasons),
        tags=tuple(cable.tags),
        subject=cable.subject,
        subject_withheld=withheld,
        subject_level=int(level),
        subject_released=released,
        references=tuple(cable.references),
        signature=cable.signature,
    )


def paragraph_in(p: Paragraph) -> ParagraphIn:
    return ParagraphIn(p.pk, p.ordinal, p.number, str(p.marking), p.explicit, p.text, p.heading)


def decision_in(d: Decision) -> DecisionIn:
    spans = tuple((int(s["start"]), int(s["end"]), str(s["label"])) for s in d.spans)
    return DecisionIn(d.pk, d.paragraph_id, d.kind, spans, d.label)


def _digest(
    decisions: Mapping[int, Decision], subject_decision: SubjectDecision | None = None
) -> str:
    """The decisions approved, paragraphs' and (when it was decided) the subject's: a
    subject decided after the approval makes publication refuse, as a paragraph does."""
    rows: list[Any] = sorted(
        [pid, d.pk, d.kind, d.spans, d.label] for pid, d in decisions.items()
    )  # fmt: skip
    if subject_decision is not None:
        rows.append(["subject", subject_decision.pk, subject_decision.kind, subject_decision.label])
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


def approved_inputs(
    release: Release,
) -> tuple[HeaderIn, list[ParagraphIn], dict[int, DecisionIn]]:
    """The cable's header, paragraphs and the decisions the authority approved (by id)."""
    cable = release.cable
    paragraphs = [paragraph_in(p) for p in cable.paragraphs.order_by("ordinal")]
    wanted = {int(d) for _, d in release.decisions}
    decisions = {
        d.paragraph_id: decision_in(d)
        for d in Decision.objects.filter(pk__in=wanted, cable_id=cable.pk)
    }
    return header_in(cable, as_of=release.approved_at), paragraphs, decisions


def repeats_of(cable: Cable, decisions: Mapping[int, Decision]) -> list[Repeat]:
    """Where the cable's released paragraphs would repeat what its decisions withhold."""
    return repeats(
        [paragraph_in(p) for p in cable.paragraphs.all()],
        {pid: decision_in(d) for pid, d in decisions.items()},
        corpus_common_words(),
    )


# -- what the approval page showed ---------------------------------------------------------


@dataclass(frozen=True)
class ApprovalShown:
    """What the approval form carries of the page it was on: a digest of the header,
    paragraphs and decisions shown, each paragraph's decision (paragraph id: decision
    id, 0 for none, ``-`` above the viewer's clearance) and a short hash of each header
    field (``-`` for the subject's fields above the clearance), to say what changed."""

    digest: str
    decisions: str = ""
    header: str = ""


_SHOWN_KEY_SALT = "declass.releases.approval_shown"

# What the approval form carries in place of a portion above the viewer's clearance.
HIDDEN = "-"

# The header fields that are the subject or its decision: a portion of its own level
# (``workflow.access.may_read_subject``).
_SUBJECT_FIELDS = frozenset({"subject", "subject_level", "subject_released", "subject_withheld"})


def _short(value: Any) -> str:
    """A field's fingerprint in the approval form, keyed with the server's secret: a
    plain hash would let whoever holds the form test guesses at the field offline."""
    data = json.dumps(value, sort_keys=True, default=str)
    return salted_hmac(_SHOWN_KEY_SALT, data, algorithm="sha256").hexdigest()[:16]


def _decision_view(d: Decision | None) -> list[Any] | None:
    """What the page shows of a decision (not who recorded it or when)."""
    if d is None:
        return None
    return [d.kind, d.spans, d.label, d.referral_agency]


def approval_shown(cable: Cable, user: Any) -> ApprovalShown:
    """The digest of what the approval page shows ``user`` now: the header fields, the
    paragraphs (number, marking, text) and each paragraph's current decision.

    A paragraph or subject above the user's clearance (``workflow.access``) is carried
    as ``HIDDEN``, nothing computed from its text or its decision, not even keyed: a
    fingerprint would tell an authority not cleared for the portion whether it is
    decided, whether two cables' portions were decided alike, or that its decision
    changed between two loads of the page.  Such a form never approves: approving needs
    clearance for every portion (``_require_cleared``), and a portion the page did not
    show counts as changed (``approval_changes``), so the refusal of a stale approval
    still covers every paragraph."""
    paragraphs = list(
        cable.paragraphs.annotate(
            cleared=Case(
                When(access.cleared(user), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        ).order_by("ordinal")
    )
    decisions = current_decisions(cable)
    subject_shown = access.may_read_subject(user, cable)
    header = dataclasses.asdict(header_in(cable))
    fields = {
        name: _short(value) if subject_shown or name not in _SUBJECT_FIELDS else HIDDEN
        for name, value in sorted(header.items())
    }  # fmt: skip
    rows = [
        [p.pk, p.ordinal, p.number, str(p.marking), p.explicit, _short(p.text),
         _decision_view(decisions.get(p.pk))]
        if p.cleared else [p.pk, HIDDEN]
        for p in paragraphs
    ]  # fmt: skip
    digest = hashlib.sha256(
        json.dumps({"header": fields, "paragraphs": rows}, sort_keys=True).encode()
    ).hexdigest()
    shown = ",".join(
        f"{p.pk}:{(decisions[p.pk].pk if p.pk in decisions else 0) if p.cleared else HIDDEN}"
        for p in paragraphs
    )
    return ApprovalShown(digest, shown, ",".join(f"{k}:{v}" for k, v in fields.items()))


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _describe(d: Decision | None) -> str:
    if d is None:
        return "no decision"
    text = d.get_kind_display().lower()
    if d.kind == Decision.Kind.REDACT:
        text += f" ({len(d.spans)} span{'s' if len(d.spans) != 1 else ''})"
    if d.label:
        text += f" {d.label}"
    if d.referral_agency:
        text += f" to {d.referral_agency}"
    return text


def approval_changes(cable: Cable, shown: ApprovalShown, user: Any) -> list[str]:
    """What changed for ``user`` since the approval page showed ``shown`` (empty:
    nothing did).

    Names each paragraph whose decision changed (from what to what, by kind and
    exemption: no text) and each header field that changed.  A portion the page did
    not show (above the user's clearance then) always counts as changed: the user
    approves only what they were shown.  A portion above the user's clearance now is
    named without its decision."""
    now = approval_shown(cable, user)
    if shown.digest == now.digest:
        return []
    changes: list[str] = []
    shown_then, shown_now = _pairs(shown.decisions), _pairs(now.decisions)
    before = {
        k: int(v) if v.isascii() and v.isdigit() else 0
        for k, v in shown_then.items()
    }  # fmt: skip
    after = {k: int(v) for k, v in shown_now.items() if v != HIDDEN}
    ids = {v for v in [*before.values(), *after.values()] if v}
    rows = {d.pk: d for d in Decision.objects.filter(cable=cable, pk__in=ids)}
    paragraphs = {str(p.pk): p for p in cable.paragraphs.order_by("ordinal")}
    hidden_now = 0
    for pid, p in paragraphs.items():
        if shown_now.get(pid) == HIDDEN:
            if shown_then.get(pid) != HIDDEN:
                hidden_now += 1
            continue
        where = f"paragraph {p.number or p.ordinal}"
        new = rows.get(after.get(pid, 0))
        if shown_then.get(pid) == HIDDEN:
            changes.append(
                f"{where}: above your clearance when the page was loaded, "
                f"its decision is now {_describe(new)}"
            )
            continue
        old = rows.get(before[pid]) if pid in before else None
        if pid in before and _decision_view(old) == _decision_view(new):
            continue
        was = _describe(old) if pid in before else "not shown"
        changes.append(f"{where}: the decision shown was {was}, it is now {_describe(new)}")
    if hidden_now:
        changes.append(f"{hidden_now} paragraph(s) shown on the page are above your clearance now")
    old_fields, new_fields = _pairs(shown.header), _pairs(now.header)
    changed = [name for name in sorted(new_fields) if old_fields.get(name) != new_fields[name]]
    if _SUBJECT_FIELDS & set(changed):
        if new_fields.get("subject") == HIDDEN:
            changes.append("the subject is above your clearance now")
            changed = [n for n in changed if n not in _SUBJECT_FIELDS]
        elif old_fields.get("subject") == HIDDEN:
            changes.append("the subject was above your clearance when the page was loaded")
            changed = [n for n in changed if n not in _SUBJECT_FIELDS]
    if {"subject_withheld", "subject_released"} & set(changed):
        # The subject's decision, named without the subject (workflow.subject).
        now_decided = subject.describe(subject.current(cable))
        changes.append(f"the subject's decision changed: it is now {now_decided}")
        changed = [n for n in changed if n not in ("subject_withheld", "subject_released")]
    changes += [f"the {name.replace('_', ' ')} field changed" for name in changed]
    return changes or ["the page's digest does not match the cable as it is now"]


def _require_unchanged(cable: Cable, shown: ApprovalShown | None, user: Any) -> None:
    if shown is None:
        return
    changes = approval_changes(cable, shown, user)
    if changes:
        raise StaleApproval(changes)


# -- approval -----------------------------------------------------------------------------


def clean_case_number(text: str) -> str:
    case = text.strip().upper()
    if case and not _CASE.match(case):
        raise ReleaseError(
            f"case number {text.strip()[:40]!r}: use letters, digits and hyphens only, "
            "e.g. F-2025-00123"
        )
    return case


def _require_cleared(user: Any, cable: Cable) -> None:
    above = access.above_clearance(user, cable, to_release=True)
    if above:
        raise ReleaseError(
            f"{above} of this cable above your clearance: a release authority must be "
            "cleared for every paragraph a release decides on, its subject and the cable's level"
        )


def _require_conflicts_acknowledged(cable: Cable, acknowledged: bool, digest: str) -> list[Any]:
    found = release_conflicts(cable)
    if not found:
        return []
    if not acknowledged:
        raise ReleaseError(
            f"{len(found)} paragraph(s) this release would publish are withheld or redacted "
            "in another cable: review them and confirm to release anyway"
        )
    if digest != consistency.conflicts_digest(found):
        raise ReleaseError(
            "the conflicts with other cables changed since the page was loaded: "
            "review them again before confirming"
        )
    return found


def _approved_decisions(cable: Cable, user: Any) -> dict[int, Decision]:
    decisions = current_decisions(cable)
    undecided = cable.paragraphs.exclude(pk__in=list(decisions)).count()
    if undecided:
        raise ReleaseError(f"{undecided} paragraph(s) have no decision yet")
    if any(d.kind == Decision.Kind.REFER for d in decisions.values()):
        raise ReleaseError("a referral is not answered yet")
    part = reviewed_by(user, cable)
    if part:
        raise ReleaseError(
            f"two-person rule: {part}, so another release authority must approve its release"
        )
    paragraphs = [paragraph_in(p) for p in cable.paragraphs.all()]
    found = repeats_of(cable, decisions)
    if found:
        places = repeat_places(paragraphs, found)
        problems = place_problems(places)
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise RepeatsWithheld(
            "the decisions release text they withhold elsewhere in this cable ("
            + "; ".join(problems[:5])
            + more
            + "): return the cable to review",
            places,
        )
    return decisions


def release_request(
    *,
    user: Any,
    cable: Cable,
    acknowledge_conflicts: bool = False,
    conflicts_digest: str = "",
    case_number: str = "",
    shown: ApprovalShown | None = None,
) -> Release:
    """The release authority approves the cable's release: it becomes APPROVED (if it was
    REVIEWED) and a pending release is queued for generation after commit.

    Idempotent: while a release of the cable is pending, asking again returns it.
    Refused (``ReleaseError`` or ``TransitionError``, with the reason) unless the user
    holds the cable's release permission, is cleared for all its paragraphs, decided
    none of them, and acknowledged its conflicts with other cables, and unless no
    released paragraph repeats text the decisions withhold elsewhere in the cable
    (``RepeatsWithheld``: the same words in order, or a distinctive word of a
    redaction or proper name of a withheld paragraph in any order or case).

    ``shown`` is what the approval page showed (the web form always sends it): if
    the header, a paragraph or a decision changed since, ``StaleApproval`` names
    what changed and nothing is approved.
    """
    permissions.require_cable_perm(user, permissions.RELEASE, cable)
    case = clean_case_number(case_number)
    _require_cleared(user, cable)
    _require_unchanged(cable, shown, user)
    found = _require_conflicts_acknowledged(cable, acknowledge_conflicts, conflicts_digest)
    with transaction.atomic():
        status = CableStatus.objects.select_for_update().get(cable=cable)
        _require_unchanged(cable, shown, user)  # again, under the lock the change would need
        pending = Release.objects.filter(cable=cable, status=Release.Status.PENDING).first()
        if pending is not None:
            return pending
        if status.review_state == ReviewState.REVIEWED:
            cable_transition(user=user, cable=cable, target=ReviewState.APPROVED, note="release")
        elif status.review_state != ReviewState.APPROVED:
            raise ReleaseError(
                f"the cable is {status.get_review_state_display().lower()}: only a reviewed "
                "or approved cable can be released"
            )
        decisions = _approved_decisions(cable, user)
        release = Release.objects.create(
            cable=cable,
            approved_by=user,
            approved_at=timezone.now(),
            review_authority=(user.get_full_name() or user.get_username())[:150],
            case_number=case,
            decisions=sorted([pid, d.pk] for pid, d in decisions.items()),
            decisions_digest=_digest(decisions, subject.current(cable)),
            conflicts_acknowledged=[consistency.conflict_record(c) for c in found],
        )
        audit_record(
            actor=user,
            action="release.approved",
            cable=cable,
            obj=release,
            after={
                "release": release.pk,
                "decisions_digest": release.decisions_digest,
                "subject_decision": subject.summary(subject.current(cable)),
                "case_number": case,
                "conflicts_acknowledged": release.conflicts_acknowledged,
            },
        )
        transaction.on_commit(lambda: _queue(release.pk))
    return release


def _queue(release_id: int) -> None:
    queue_task("releases.release_generate", release_id)


# -- generation, verification, publication ------------------------------------------------


def _next_version(cable_id: int) -> int:
    last = Release.objects.filter(cable_id=cable_id, status=Release.Status.PUBLISHED).aggregate(
        v=Max("version")
    )["v"]
    return (last or 0) + 1


def _document(
    release: Release, version: int, *, check_current: bool = True
) -> tuple[ReleaseDocument, list[ParagraphIn], dict[int, DecisionIn]]:
    """The release document under the approved decisions; before publication they must
    still be the cable's current ones."""
    header, paragraphs, decisions = approved_inputs(release)
    if len(decisions) != len(release.decisions):
        raise DocumentError("some approved decisions no longer exist")
    if check_current:
        current = {pid: d.pk for pid, d in current_decisions(release.cable).items()}
        if current != {pid: d.id for pid, d in decisions.items()}:
            raise DocumentError("the cable's decisions changed after the approval")
    approval = ApprovalIn(
        release_id=release.pk,
        version=version,
        authority=release.review_authority,
        approved_on=timezone.localdate(release.approved_at),
        case_number=release.case_number,
    )
    doc = build_document(
        header=header, paragraphs=paragraphs, decisions=decisions, approval=approval
    )
    return doc, paragraphs, decisions


def release_generate(
    *, release_id: int, renderers: Mapping[str, tuple[str, str, Renderer]] | None = None
) -> Release | None:
    """Generate, verify and publish a pending release; block it if verification fails.

    Safe to run twice (a release that is not pending is left alone, but for its
    re-check, queued again; two runs at once publish once).  ``renderers`` replaces the
    formats (tests inject broken ones to prove verification blocks them).
    """
    release = Release.objects.select_related("cable", "approved_by").filter(pk=release_id).first()
    if release is not None and release.status == Release.Status.PUBLISHED:
        # Run again after its publication (a retry): the re-check queued once it committed
        # may be what failed (the broker refused it), so it is queued again (idempotent).
        _queue_recheck(release.pk)
        return release
    if release is None or release.status != Release.Status.PENDING:
        return release
    renderers = RENDERERS if renderers is None else renderers
    version = _next_version(release.cable_id)
    try:
        doc, paragraphs, decisions = _document(release, version)
    except DocumentError as exc:
        return _block(release, [str(exc)])
    outputs: dict[str, bytes] = {}
    for name, (_, _, render) in renderers.items():
        try:
            outputs[name] = render(doc)
        except Exception as exc:  # any failure of a renderer blocks, with its type
            logger.exception("release %s: the %s renderer failed", release.pk, name)
            return _block(release, [f"the {name} output could not be made ({type(exc).__name__})"])
    report = verify_outputs(
        doc=doc, paragraphs=paragraphs, decisions=decisions, outputs=outputs,
        common_words=corpus_common_words(),
        header=header_in(release.cable, as_of=release.approved_at),
    )  # fmt: skip
    if not report.passed:
        return _block(release, report.problems, report)
    return _publish(release, doc, outputs, report, renderers, (paragraphs, decisions))


def _block(release: Release, problems: list[str], report: Report | None = None) -> Release:
    reason = "\n".join(problems)
    with transaction.atomic():
        updated = Release.objects.filter(pk=release.pk, status=Release.Status.PENDING).update(
            status=Release.Status.BLOCKED,
            blocked_reason=reason,
            verification=report.as_dict() if report else {"passed": False, "problems": problems},
        )
        if updated:
            audit_record(
                actor=None,
                action="release.blocked",
                cable=release.cable,
                obj=release,
                after={"release": release.pk, "problems": problems},
            )
    logger.warning("release %s of cable %s blocked", release.pk, release.cable_id)
    release.refresh_from_db()
    return release


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(
    release: Release, doc: ReleaseDocument, files: dict[str, tuple[str, bytes]], report: Report
) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "release": release.pk,
        "doc_no": doc.doc_no,
        "reference_id": doc.reference_id,
        "version": doc.version,
        "stamp": doc.stamp,
        "exemptions": doc.exemptions,
        "review_authority": release.review_authority,
        "case_number": release.case_number,
        "approved_at": release.approved_at.isoformat(),
        "release_date": doc.release_date.isoformat(),
        "decisions": [{"paragraph_id": p, "decision_id": d} for p, d in release.decisions],
        "decisions_digest": release.decisions_digest,
        "verification": {
            "passed": report.passed,
            "fragments_checked": report.fragments_checked,
            "fragments_common": report.fragments_common,
            "outputs": report.channels,
        },
        "files": [
            {"name": name, "content_type": ctype, "bytes": len(data), "sha256": _sha(data)}
            for name, (ctype, data) in sorted(files.items())
        ],
    }


def _publish(
    release: Release,
    doc: ReleaseDocument,
    outputs: dict[str, bytes],
    report: Report,
    renderers: Mapping[str, tuple[str, str, Renderer]],
    approved: tuple[list[ParagraphIn], dict[int, DecisionIn]],
) -> Release:
    if not permissions.has_cable_perm(release.approved_by, permissions.RELEASE, release.cable):
        return _block(release, ["the approving authority no longer holds the release permission"])
    index = [item.as_dict() for item in withholding_index(*approved)]
    files = {renderers[k][0]: (renderers[k][1], data) for k, data in outputs.items()}
    files[INDEX] = ("application/json", (json.dumps(index, indent=2) + "\n").encode())
    manifest = manifest_bytes(_manifest(release, doc, files, report))
    files[MANIFEST] = ("application/json", manifest)
    with transaction.atomic():
        status = CableStatus.objects.select_for_update().get(cable_id=release.cable_id)
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if locked.status != Release.Status.PENDING:
            return locked  # another run got here first
        moved = status.review_state != ReviewState.APPROVED
        if moved or _next_version(locked.cable_id) != doc.version:
            return _block(locked, ["the cable was moved or released while the release was made"])
        current = current_decisions(locked.cable)
        same = sorted([pid, d.pk] for pid, d in current.items()) == sorted(
            [int(pid), int(did)] for pid, did in locked.decisions
        )
        subject_now = subject.current(locked.cable)
        if not same or _digest(current, subject_now) != locked.decisions_digest:
            return _block(
                locked,
                ["the cable's decisions changed while the release was made: approve it again"],
            )
        ReleaseFile.objects.bulk_create(
            ReleaseFile(
                release=locked, name=name, content_type=ctype, content=data,
                size=len(data), sha256=_sha(data),
            )
            for name, (ctype, data) in files.items()
        )  # fmt: skip
        Release.objects.filter(pk=locked.pk, status=Release.Status.PENDING).update(
            status=Release.Status.PUBLISHED,
            version=doc.version,
            published_at=timezone.now(),
            reference_id=doc.reference_id,
            title=doc.title,
            sent_at=doc.sent_at,
            origin=doc.origin[: Release._meta.get_field("origin").max_length],
            stamp=doc.stamp,
            exemptions=[doc.exemptions] if doc.exemptions else [],
            search_text=outputs["text"].decode("utf-8"),
            withholding_index=index,
            verification=report.as_dict(),
            manifest_sha256=_sha(manifest),
        )
        locked.refresh_from_db()
        cable_transition(
            user=locked.approved_by,
            cable=locked.cable,
            target=ReviewState.RELEASED,
            note=f"release v{doc.version} published",
            release=locked,
        )
        # A re-review round ends with its release: the new version supersedes the
        # earlier one in the reading room (releases.selectors.reading_room lists the
        # latest), and the earlier stays published, unchanged, on record.
        closed = rounds.round_close(
            cable_id=locked.cable_id, version=doc.version, at=locked.published_at
        )
        earlier = (
            Release.objects.filter(cable_id=locked.cable_id, status=Release.Status.PUBLISHED)
            .exclude(pk=locked.pk)
            .order_by("-version")
            .values_list("pk", flat=True)
            .first()
        )
        audit_record(
            actor=locked.approved_by,
            action="release.published",
            cable=locked.cable,
            obj=locked,
            after={
                "release": locked.pk,
                "version": doc.version,
                "round": closed.number if closed is not None else 1,
                "supersedes": earlier,
                "stamp": doc.stamp,
                "manifest_sha256": locked.manifest_sha256,
                "files": {name: _sha(data) for name, (_, data) in files.items()},
            },
        )
        # What this release withholds may be what another cable's release published:
        # those are re-checked, and withdrawn for re-review (releases.recheck).
        transaction.on_commit(lambda: _queue_recheck(locked.pk))
    return locked


def _queue_recheck(release_id: int) -> None:
    queue_task("releases.release_recheck", release_id)


# -- checking a stored release ------------------------------------------------------------


def release_verify_stored(release: Release) -> list[str]:
    """Check a published release as stored: every file against the manifest and the
    recorded checksums, the withholding index, and the outputs against the approved
    decisions again (``manage.py verify_release``)."""
    if release.status != Release.Status.PUBLISHED:
        return [f"release {release.pk} is {release.get_status_display().lower()}, not published"]
    files = {f.name: bytes(f.content) for f in release.files.all()}
    recorded = {f.name: f.sha256 for f in release.files.all()}
    problems = [
        f"{name}: its content does not match its recorded checksum"
        for name, data in files.items()
        if _sha(data) != recorded[name]
    ]
    manifest_data = files.get(MANIFEST, b"")
    if _sha(manifest_data) != release.manifest_sha256:
        return [*problems, "manifest.json does not match the checksum recorded at publication"]
    manifest = json.loads(manifest_data)
    problems += verify_checksums(manifest, files)
    try:
        doc, paragraphs, decisions = _document(release, release.version or 0, check_current=False)
    except DocumentError as exc:
        return [*problems, f"cannot rebuild the release: {exc}"]
    index = [i.as_dict() for i in withholding_index(paragraphs, decisions)]
    if json.loads(files.get(INDEX, b"null")) != index or release.withholding_index != index:
        problems.append("the withholding index does not match the approved decisions")
    outputs = {k: files[v[0]] for k, v in RENDERERS.items() if v[0] in files}
    report = verify_outputs(
        doc=doc, paragraphs=paragraphs, decisions=decisions, outputs=outputs,
        common_words=corpus_common_words(),
        header=header_in(release.cable, as_of=release.approved_at),
        search_text=release.search_text,
    )  # fmt: skip
    return problems + report.problems + _row_problems(release, doc)


def _row_problems(release: Release, doc: ReleaseDocument) -> list[str]:
    """The released fields of the row (what the reading room shows) against the document."""
    origin = doc.origin[: Release._meta.get_field("origin").max_length]
    row = (release.reference_id, release.title, release.origin, release.sent_at, release.stamp)
    wanted = (doc.reference_id, doc.title, origin, doc.sent_at, doc.stamp)
    names = ("reference id", "title", "origin", "date", "stamp")
    return [
        f"the release's {name} is not the released document's"
        for name, have, want in zip(names, row, wanted, strict=True)
        if have != want
    ]

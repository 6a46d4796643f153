"""Decide once: a decision taken on a paragraph is offered again wherever it turns up.

A cable collection repeats itself (retransmissions, info copies, paragraphs quoted
in later cables with small edits).  For a paragraph of one cable,
``reuse_suggestions`` finds decided near-duplicates in other cables through the
MinHash index (``cables.similarity``: the same shingles, band keys and Jaccard
threshold as the consistency check) and offers the current decision there:

- its kind, exemption or referral agency, and the Jaccard similarity;
- a redaction carries over only where its words occur in the new paragraph (the
  same run of words, after the index's normalisation); a redaction whose words are
  not there is dropped and counted, and a suggested redaction with no span left is
  not complete (a person must mark what to redact);
- the source cable (reference, decision, reviewer) is named only to users who may
  read the source paragraph (``workflow.access``); to others it is "another cable".

A supervisor (permission ``workflow.supervise_review``) can propagate one decision to
every near-duplicate in the cables they may review: ``propagation_preview`` lists
every affected paragraph with its current decision and the one that would be
recorded; ``propagation_apply`` records them, all or none, as the supervisor's own
decisions through ``workflow.review.decision_record`` (so each is audited, moves the
cable into review, and refuses a paragraph someone decided meanwhile), each linked to
its source decision (``DecisionOrigin``) and audited as ``decision.propagated``.  The
cables then go through approval as any other: the supervisor, having decided
paragraphs of them, may not approve them (two-person rule).

Comparing paragraphs reads the text of near-duplicates the user may not read, as the
consistency check does; none of it is returned unless ``workflow.access`` says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from audit.trail import audit_record
from cables.models import Cable, Paragraph
from cables.similarity import store
from cables.similarity.text import Word, jaccard, shingles, words
from workflow import access, permissions
from workflow.models import Decision, DecisionOrigin, ReviewState, SuggestionShown
from workflow.review import ReviewError, decision_record

SUPERVISE = "workflow.supervise_review"
OPEN_FOR_DECISIONS = (
    ReviewState.INGESTED,
    ReviewState.DUE,
    ReviewState.RETURNED,
    ReviewState.IN_REVIEW,
)


# -- carrying a decision over to another paragraph --------------------------------------


def _span_words(text_words: list[Word], start: int, end: int) -> list[Word]:
    return [w for w in text_words if start < w.end and w.start < end]


def carried_spans(
    source_text: str, spans: Sequence[dict[str, Any]], target_text: str
) -> tuple[list[dict[str, Any]], int]:
    """The source's redactions placed on the target paragraph wherever their words occur
    there (every occurrence), and how many redactions found no place."""
    source_words = words(source_text)
    target_words = words(target_text)
    target_seq = [w.text for w in target_words]
    placed: dict[tuple[int, int], str] = {}
    dropped = 0
    for span in spans:
        run = [w.text for w in _span_words(source_words, int(span["start"]), int(span["end"]))]
        n = len(run)
        hits = [
            (target_words[i].start, target_words[i + n - 1].end)
            for i in range(len(target_seq) - n + 1)
            if n and target_seq[i : i + n] == run
        ]
        if not hits:
            dropped += 1
        for hit in hits:
            placed.setdefault(hit, str(span.get("label", "")))
    out = [{"start": s, "end": e, "label": label} for (s, e), label in sorted(placed.items())]
    return out, dropped


@dataclass(frozen=True)
class ReuseSuggestion:
    """The current decision of a near-duplicate in another cable, as it would apply here."""

    paragraph_id: int
    kind: str
    label: str
    agency: str
    spans: tuple[dict[str, Any], ...]
    spans_dropped: int
    similarity: float
    same_marking: bool  # the source paragraph carries the same level and controls
    source: Decision = field(repr=False)
    source_named: bool = False  # the user may read the source paragraph
    shown_id: int | None = None

    @property
    def complete(self) -> bool:
        """Whether accepting it as it stands is a valid decision (a redaction needs spans)."""
        return self.kind != Decision.Kind.REDACT or bool(self.spans)

    def fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "spans": list(self.spans),
            "label": self.label,
            "agency": self.agency,
        }

    def as_dict(self) -> dict[str, Any]:
        named = self.source_named
        return {
            "kind": self.kind,
            "label": self.label,
            "agency": self.agency,
            "spans": list(self.spans),
            "spans_dropped": self.spans_dropped,
            "similarity": round(self.similarity, 4),
            "same_marking": self.same_marking,
            "complete": self.complete,
            "source_decision": self.source.pk if named else None,
            "source_cable": self.source.cable.reference_id if named else None,
            "source_cable_id": self.source.cable_id if named else None,
            "source_decided_by": self.source.decided_by.get_username() if named else None,
            "source_decided_at": self.source.decided_at if named else None,
            "shown_id": self.shown_id,
        }


def suggestion_for(
    paragraph: Paragraph, decision: Decision, similarity: float, *, source_named: bool = False
) -> ReuseSuggestion:
    """The near-duplicate's decision as it would apply to ``paragraph``: a redaction
    carried over only where its words occur here (``carried_spans``)."""
    spans: list[dict[str, Any]] = []
    dropped = 0
    if decision.kind == Decision.Kind.REDACT:
        spans, dropped = carried_spans(decision.paragraph.text, decision.spans, paragraph.text)
    source = decision.paragraph
    return ReuseSuggestion(
        paragraph_id=paragraph.pk,
        kind=decision.kind,
        label=decision.label,
        agency=decision.referral_agency,
        spans=tuple(spans),
        spans_dropped=dropped,
        similarity=similarity,
        same_marking=(
            source.level == paragraph.level
            and sorted(source.controls or []) == sorted(paragraph.controls or [])
        ),
        source=decision,
        source_named=source_named,
    )


def _current_near(paragraph_ids: Sequence[int]) -> list[Decision]:
    return list(
        Decision.objects.filter(paragraph_id__in=paragraph_ids, superseded_by__isnull=True)
        .select_related("paragraph", "cable", "decided_by")
        .order_by("id")
    )


def best_matches(
    cable: Cable,
    paragraphs: Sequence[Paragraph],
    *,
    band_keys: Mapping[int, list[int]] | None = None,
    candidates: Sequence[int] | None = None,
) -> dict[int, tuple[Decision, float]]:
    """For each paragraph (of ``cable``), the best decided near-duplicate in another
    cable and its similarity: most similar first, then same marking, then the latest
    decision (three queries, however many paragraphs).  ``band_keys``: the paragraphs'
    band keys (``store.keys_for``) by id, when the caller has them already;
    ``candidates``: the paragraphs of other cables sharing a band key with at least
    these (``store.candidates_elsewhere``), when the caller has looked them up already
    (more are harmless: only those sharing a key with one of these are compared)."""
    by_key: dict[int, list[int]] = defaultdict(list)
    if band_keys is None:
        mine_keys = store.keys_for([p.text for p in paragraphs])
    else:
        mine_keys = [band_keys[p.pk] for p in paragraphs]
    for i, keys in enumerate(mine_keys):
        for key in keys:
            by_key[key].append(i)
    if not by_key:
        return {}
    if candidates is None:
        candidates = store.candidates_elsewhere(by_key, exclude_cable_id=cable.pk)
    if not candidates:
        return {}
    decisions = _current_near(candidates)
    limit = store.threshold()
    mine_shingles: dict[int, set] = {}
    best: dict[int, tuple[tuple, Decision, float]] = {}
    for decision, keys in zip(
        decisions, store.keys_for([d.paragraph.text for d in decisions]), strict=True
    ):
        theirs = None
        for i in sorted({i for k in keys for i in by_key.get(k, ())}):
            paragraph = paragraphs[i]
            if i not in mine_shingles:
                mine_shingles[i] = shingles(words(paragraph.text))
            if theirs is None:
                theirs = shingles(words(decision.paragraph.text))
            similarity = jaccard(mine_shingles[i], theirs)
            if similarity < limit:
                continue
            same = decision.paragraph.level == paragraph.level
            rank = (similarity, same, decision.pk)
            if paragraph.pk not in best or rank > best[paragraph.pk][0]:
                best[paragraph.pk] = (rank, decision, similarity)
    return {pk: (decision, similarity) for pk, (_, decision, similarity) in best.items()}


def _named(user: Any, decisions: Sequence[Decision]) -> set[int]:
    """The source paragraphs (ids) the user may read: only those are named."""
    ids = {d.paragraph_id for d in decisions}
    if not ids:
        return set()
    readable = access.readable_paragraphs(user, Paragraph.objects.filter(pk__in=ids))
    return set(readable.values_list("pk", flat=True))


def reuse_suggestions(
    user: Any,
    cable: Cable,
    *,
    paragraphs: Sequence[Paragraph] | None = None,
    undecided_only: bool = True,
    record: bool = True,
) -> dict[int, ReuseSuggestion]:
    """The near-duplicate's decision to suggest for each paragraph of the cable the user
    may read (by default those not decided yet), each recorded as shown (``record``)."""
    if paragraphs is None:
        paragraphs = list(access.cleared_paragraphs(user, cable).order_by("ordinal"))
    else:  # the caller's list, kept to what the user may read
        allowed = set(
            access.readable_paragraphs(
                user, Paragraph.objects.filter(pk__in=[p.pk for p in paragraphs])
            ).values_list("pk", flat=True)
        )
        paragraphs = [p for p in paragraphs if p.pk in allowed]
    if undecided_only:
        decided = set(
            Decision.objects.filter(cable=cable, superseded_by__isnull=True).values_list(
                "paragraph_id", flat=True
            )
        )
        paragraphs = [p for p in paragraphs if p.pk not in decided]
    matches = best_matches(cable, paragraphs)
    if not matches:
        return {}
    named = _named(user, [d for d, _ in matches.values()])
    by_pk = {p.pk: p for p in paragraphs}
    out = {}
    for pk, (decision, similarity) in matches.items():
        out[pk] = suggestion_for(
            by_pk[pk], decision, similarity, source_named=decision.paragraph_id in named
        )
    if record:
        rows = SuggestionShown.objects.bulk_create(
            SuggestionShown(
                user=user,
                cable=cable,
                paragraph_id=pk,
                source=SuggestionShown.Source.REUSE,
                kind=s.kind,
                label=s.label,
                spans=list(s.spans),
                similarity=s.similarity,
                source_decision=s.source,
                shown_at=timezone.now(),
            )
            for pk, s in out.items()
        )
        out = {row.paragraph_id: _with(out[row.paragraph_id], shown_id=row.pk) for row in rows}
    return out


def _with(suggestion: ReuseSuggestion, **changes: Any) -> ReuseSuggestion:
    return replace(suggestion, **changes)


# -- a decision taken with a suggestion on screen ----------------------------------------


def suggested_decision_record(
    *,
    user: Any,
    paragraph: Paragraph,
    based_on: int | None,
    accept: str | None = None,
    kind: str | None = None,
    spans: Sequence[dict[str, Any]] = (),
    label: str = "",
    agency: str = "",
    note: str = "",
) -> Decision:
    """Record a reviewer's decision and where it came from, in one transaction.

    ``accept="reuse"`` takes the near-duplicate's decision as it stands now (looked up
    again, never taken from the client); ``accept="learned"`` the model's suggestion
    last shown to this user for the paragraph (a suggested redaction still needs the
    reviewer's spans).  Without ``accept`` the reviewer's own decision is recorded,
    and, when a suggestion was shown for the paragraph, with the model's version that
    was on screen (``DecisionOrigin.via = "shown"``).
    """
    shown = _last_shown(user, paragraph, based_on)
    origin: dict[str, Any] = {}
    if accept == "reuse":
        suggestion = reuse_suggestions(user, paragraph.cable, paragraphs=[paragraph]).get(
            paragraph.pk
        )
        if suggestion is None:
            raise ReviewError("no decided near-duplicate of this paragraph to reuse")
        if not suggestion.complete:
            raise ReviewError(
                "the near-duplicate's redactions are not in this paragraph: mark what to redact"
            )
        fields = suggestion.fields()
        origin = {"via": DecisionOrigin.Via.REUSE, "source_decision": suggestion.source}
        shown["reuse"] = SuggestionShown.objects.get(pk=suggestion.shown_id)
    elif accept == "learned":
        learned = shown.get("learned")
        if learned is None:
            raise ReviewError("no learned suggestion was shown for this paragraph")
        fields = {"kind": learned.kind, "spans": list(spans), "label": learned.label or label}
        fields["agency"] = agency
        origin = {"via": DecisionOrigin.Via.LEARNED}
    elif accept is None:
        if kind is None:
            raise ReviewError("say what to decide, or which suggestion to accept")
        fields = {"kind": kind, "spans": list(spans), "label": label, "agency": agency}
        if shown:
            origin = {"via": DecisionOrigin.Via.SHOWN}
    else:
        raise ReviewError(f"unknown suggestion {accept!r}: 'reuse' or 'learned'")
    learned = shown.get("learned")
    with transaction.atomic():
        decision = decision_record(
            user=user, paragraph=paragraph, based_on=based_on, note=note, **fields
        )
        if origin:
            origin_record(
                user,
                decision,
                via=origin["via"],
                source=origin.get("source_decision"),
                model_version_id=learned.model_version_id if learned else None,
                suggestion=shown.get(accept or "") or learned or shown.get("reuse"),
            )
    return decision


def _last_shown(user: Any, paragraph: Paragraph, based_on: int | None) -> dict[str, Any]:
    """The latest suggestion of each source shown to the user for the paragraph since its
    current decision (the one the reviewer saw)."""
    rows = SuggestionShown.objects.filter(user=user, paragraph=paragraph).order_by("-id")
    if based_on is not None:
        seen = Decision.objects.filter(pk=based_on).values_list("decided_at", flat=True).first()
        if seen is not None:
            rows = rows.filter(shown_at__gte=seen)
    found: dict[str, Any] = {}
    for row in rows[:20]:
        found.setdefault(row.source, row)
    return found


def origin_record(
    user: Any,
    decision: Decision,
    *,
    via: str,
    source: Decision | None = None,
    model_version_id: int | None = None,
    suggestion: SuggestionShown | None = None,
) -> DecisionOrigin:
    """Record where a decision came from, and audit it, in the decision's transaction."""
    origin = DecisionOrigin.objects.create(
        decision=decision,
        via=via,
        source_decision=source,
        model_version_id=model_version_id,
        suggestion=suggestion,
    )
    audit_record(
        actor=user,
        action="decision.propagated" if via == DecisionOrigin.Via.PROPAGATED else "decision.origin",
        cable=decision.cable,
        paragraph_id=decision.paragraph_id,
        obj=decision,
        after={
            "decision": decision.pk,
            "via": via,
            "source_decision": source.pk if source else None,
            "source_cable": source.cable_id if source else None,
            "model_version": model_version_id,
        },
    )
    return origin


# -- a supervisor's propagation ------------------------------------------------------------


@dataclass(frozen=True)
class PropagationTarget:
    paragraph: Paragraph
    similarity: float
    current: Decision | None
    suggestion: ReuseSuggestion
    applicable: bool
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        p = self.paragraph
        return {
            "paragraph": p.pk,
            "cable": p.cable_id,
            "cable_reference": p.cable.reference_id,
            "ordinal": p.ordinal,
            "number": p.number,
            "level": p.level,
            "text": p.text,
            "similarity": round(self.similarity, 4),
            "current_decision": self.current.pk if self.current else None,
            "current_kind": self.current.kind if self.current else None,
            "kind": self.suggestion.kind,
            "label": self.suggestion.label,
            "agency": self.suggestion.agency,
            "spans": list(self.suggestion.spans),
            "spans_dropped": self.suggestion.spans_dropped,
            "applicable": self.applicable,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Preview:
    source: Decision
    targets: list[PropagationTarget]


def _source_for(supervisor: Any, decision_id: int) -> Decision:
    if not (getattr(supervisor, "is_active", False) and supervisor.has_perm(SUPERVISE)):
        raise Http404("No decision matches the given query.")
    decision = (
        Decision.objects.select_related("paragraph", "cable", "decided_by")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None or not _named(supervisor, [decision]):
        raise Http404("No decision matches the given query.")
    if Decision.objects.filter(supersedes=decision).exists():
        raise ReviewError("this decision was superseded: propagate the paragraph's current one")
    return decision


def _same(current: Decision | None, suggestion: ReuseSuggestion) -> bool:
    return (
        current is not None
        and current.kind == suggestion.kind
        and current.label == suggestion.label
        and current.referral_agency == suggestion.agency
        and list(current.spans) == list(suggestion.spans)
    )


def propagation_preview(supervisor: Any, decision_id: int) -> Preview:
    """Every near-duplicate of the decision's paragraph, in other cables the supervisor
    may review and paragraphs they are cleared for, with its current decision and the
    one propagation would record (``applicable`` False, with the reason, where it
    would record nothing)."""
    source = _source_for(supervisor, decision_id)
    matches = store.near_duplicates(source.paragraph.text, exclude_cable_id=source.cable_id)
    similarity = {m.paragraph_id: m.similarity for m in matches}
    reviewable = permissions.only_permitted(
        Paragraph.objects.filter(pk__in=list(similarity)),
        "cable_id",
        supervisor,
        permissions.REVIEW,
    )
    targets_qs = access.readable_paragraphs(supervisor, reviewable).select_related(
        "cable", "cable__status"
    )
    paragraphs = sorted(targets_qs, key=lambda p: (-similarity[p.pk], p.cable_id, p.ordinal))
    current = {
        d.paragraph_id: d
        for d in Decision.objects.filter(
            paragraph_id__in=[p.pk for p in paragraphs], superseded_by__isnull=True
        )
    }
    targets = []
    for p in paragraphs:
        suggestion = suggestion_for(p, source, similarity[p.pk])
        now = current.get(p.pk)
        state = p.cable.status.review_state
        reason = ""
        if state not in OPEN_FOR_DECISIONS:
            reason = f"the cable is {ReviewState(state).label.lower()}; decisions are closed"
        elif not suggestion.complete:
            reason = "the redacted words are not in this paragraph"
        elif _same(now, suggestion):
            reason = "already decided the same way"
        targets.append(
            PropagationTarget(
                paragraph=p,
                similarity=similarity[p.pk],
                current=now,
                suggestion=suggestion,
                applicable=not reason,
                reason=reason,
            )
        )
    return Preview(source=source, targets=targets)


def propagation_apply(
    supervisor: Any, decision_id: int, expected: dict[int, int | None]
) -> list[Decision]:
    """Record the propagation the supervisor previewed: ``expected`` maps each paragraph
    to apply to to the id of its current decision in the preview (None: undecided).

    All or none, in one transaction: a paragraph that is no longer an applicable target,
    or that someone decided since the preview, refuses the whole (``ReviewError`` or
    ``ConcurrentDecision``, naming it)."""
    if not expected:
        raise ReviewError("choose at least one paragraph to propagate to")
    preview = propagation_preview(supervisor, decision_id)
    targets = {t.paragraph.pk: t for t in preview.targets}
    recorded = []
    with transaction.atomic():
        for paragraph_id, based_on in sorted(expected.items()):
            target = targets.get(paragraph_id)
            if target is None:
                raise ReviewError(
                    f"paragraph {paragraph_id} is not a near-duplicate you may decide"
                )
            if not target.applicable:
                where = target.paragraph.number or target.paragraph.ordinal
                raise ReviewError(
                    f"{target.paragraph.cable.reference_id} ¶{where}: {target.reason}"
                )
            decision = decision_record(
                user=supervisor,
                paragraph=target.paragraph,
                based_on=based_on,
                note=f"propagated from decision {preview.source.pk}",
                **target.suggestion.fields(),
            )
            origin_record(
                supervisor,
                decision,
                via=DecisionOrigin.Via.PROPAGATED,
                source=preview.source,
            )
            recorded.append(decision)
    return recorded

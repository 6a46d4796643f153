"""Decide once: a near-duplicate's decision is suggested, named only to who may read it,
and a supervisor propagates a decision after a preview, as their own audited decisions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from cables.markings import Level
from cables.similarity import store
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, DecisionOrigin, ReviewState, SuggestionShown
from workflow.reuse import (
    carried_spans,
    propagation_apply,
    propagation_preview,
    reuse_suggestions,
    suggested_decision_record,
)
from workflow.review import ConcurrentDecision, ReviewError, reviewed_by

pytestmark = pytest.mark.django_db

NAME = "Rosa Quint"
QUOTED = (
    f"The political counselor met {NAME} of the opposition council on Tuesday; she said "
    "the council would boycott the vote unless the electoral commission published the "
    "voter rolls, and asked that the embassy raise the matter with the interior minister."
)
EDITED = QUOTED.replace("on Tuesday", "on Wednesday")


def user(name, level=Level.TS):
    person = UserFactory(username=name)
    Clearance.objects.create(user=person, level=int(level))
    return person


def decide(paragraph, kind, by, **fields):
    return Decision.objects.create(
        cable=paragraph.cable,
        paragraph=paragraph,
        kind=kind,
        decided_by=by,
        decided_at=timezone.now(),
        **fields,
    )


def cable_with(text, *, level=Level.C, state=ReviewState.IN_REVIEW, cable_level=None):
    cable = CableFactory(level=int(cable_level or level), review_state=state)
    paragraph = ParagraphFactory(cable=cable, ordinal=1, level=int(level), text=text)
    store.index_cables([cable.pk])
    return cable, paragraph


def supervisor(name="sue"):
    person = user(name)
    person.user_permissions.add(
        Permission.objects.get(content_type__app_label="workflow", codename="supervise_review")
    )
    return type(person).objects.get(pk=person.pk)  # fresh: no cached permissions


def test_a_c_cleared_reviewer_gets_the_suggestion_but_never_the_secret_source_named():
    wanda = user("wanda")
    secret, source = cable_with(QUOTED, level=Level.S)
    decide(source, "withhold", wanda, label="(b)(1) 1.4(d)")
    target_cable, target = cable_with(EDITED, level=Level.C)
    carol = user("carol", Level.C)
    permissions.grant(permissions.REVIEW, carol, target_cable)
    sam = user("sam", Level.S)
    permissions.grant(permissions.REVIEW, sam, target_cable)
    permissions.grant(permissions.VIEW, sam, secret)

    for_carol = reuse_suggestions(carol, target_cable)[target.pk].as_dict()
    for_sam = reuse_suggestions(sam, target_cable)[target.pk].as_dict()

    assert for_carol["kind"] == for_sam["kind"] == "withhold"
    assert for_carol["label"] == "(b)(1) 1.4(d)"
    assert 0.7 <= for_carol["similarity"] < 1
    assert for_carol["source_cable"] is None and for_carol["source_decision"] is None
    assert for_carol["source_decided_by"] is None
    assert secret.reference_id not in str(for_carol)
    assert for_sam["source_cable"] == secret.reference_id
    assert for_sam["source_decided_by"] == "wanda"
    # Shown suggestions are recorded, with their source decision.
    assert SuggestionShown.objects.filter(user=carol, paragraph=target, source="reuse").count() == 1


def test_a_paragraph_above_the_reviewers_clearance_gets_no_suggestion():
    wanda = user("wanda")
    _, source = cable_with(QUOTED)
    decide(source, "release", wanda)
    target_cable, target = cable_with(EDITED, level=Level.S)
    carol = user("carol", Level.C)
    permissions.grant(permissions.REVIEW, carol, target_cable)

    assert reuse_suggestions(carol, target_cable) == {}


def test_a_redaction_carries_over_only_where_its_words_occur():
    text = f"{NAME} and the PROJECT KESTREL team briefed the ambassador on the talks."
    spans = [
        {"start": 0, "end": len(NAME), "label": "(b)(6)"},
        {"start": text.index("KESTREL"), "end": text.index("KESTREL") + 7, "label": "(b)(1)"},
    ]
    target = f"The ambassador was told by {NAME.upper()} that the talks would resume."

    carried, dropped = carried_spans(text, spans, target)

    assert dropped == 1
    assert [target[s["start"] : s["end"]] for s in carried] == ["ROSA QUINT"]
    assert carried[0]["label"] == "(b)(6)"


def test_accepting_a_reuse_suggestion_records_the_source_decision():
    wanda = user("wanda")
    _, source = cable_with(QUOTED)
    start = QUOTED.index(NAME)
    first = decide(
        source, "redact", wanda, spans=[{"start": start, "end": start + 10, "label": "(b)(6)"}]
    )
    target_cable, target = cable_with(EDITED)
    rita = user("rita")
    permissions.grant(permissions.REVIEW, rita, target_cable)
    reuse_suggestions(rita, target_cable)

    decision = suggested_decision_record(user=rita, paragraph=target, based_on=None, accept="reuse")

    assert decision.kind == "redact" and decision.decided_by == rita
    assert [target.text[s["start"] : s["end"]] for s in decision.spans] == [NAME]
    assert decision.origin.via == "reuse"
    assert decision.origin.source_decision == first
    assert AuditEvent.objects.filter(action="decision.origin", object_id=str(decision.pk)).exists()


def test_propagation_preview_then_apply_records_the_supervisors_audited_linked_decisions():
    wanda = user("wanda")
    home, source_paragraph = cable_with(QUOTED)
    source = decide(source_paragraph, "withhold", wanda, label="(b)(1) 1.4(d)")
    b, pb = cable_with(EDITED, state=ReviewState.DUE)
    c, pc = cable_with(QUOTED)
    earlier = decide(pc, "release", wanda)
    elsewhere, _ = cable_with(QUOTED)  # not the supervisor's: never listed
    unrelated, _ = cable_with(
        "Agricultural officials expect the wheat harvest to fall short of last year by "
        "about a tenth after the dry spring and ask donors for seed."
    )
    sue = supervisor()
    permissions.grant(permissions.VIEW, sue, home)
    for cable in (b, c, unrelated):
        permissions.grant(permissions.REVIEW, sue, cable)

    preview = propagation_preview(sue, source.pk)

    assert [t.paragraph.pk for t in preview.targets] == [pc.pk, pb.pk]  # most similar first
    by_pk = {t.paragraph.pk: t for t in preview.targets}
    assert by_pk[pc.pk].current == earlier and by_pk[pb.pk].current is None
    assert all(t.applicable and t.suggestion.kind == "withhold" for t in preview.targets)
    assert Decision.objects.count() == 2  # a preview records nothing

    recorded = propagation_apply(sue, source.pk, {pb.pk: None, pc.pk: earlier.pk})

    assert len(recorded) == 2
    for decision in recorded:
        assert decision.decided_by == sue and decision.kind == "withhold"
        assert decision.label == "(b)(1) 1.4(d)"
        assert decision.origin.via == "propagated" and decision.origin.source_decision == source
        audit = AuditEvent.objects.get(action="decision.propagated", object_id=str(decision.pk))
        assert audit.after["source_decision"] == source.pk
        assert AuditEvent.objects.filter(
            action="decision.recorded", object_id=str(decision.pk)
        ).exists()
    assert Decision.objects.get(paragraph=pc, supersedes=earlier).decided_by == sue
    b.status.refresh_from_db()
    assert b.status.review_state == ReviewState.IN_REVIEW
    # The two-person rule: the supervisor decided, so may not approve these cables.
    assert reviewed_by(sue, b) and reviewed_by(sue, c)
    # Where a decision came from is a record: the database refuses to change it.
    with pytest.raises(DatabaseError), transaction.atomic():
        DecisionOrigin.objects.filter(pk=recorded[0].pk).update(via="reuse")


def test_propagation_is_all_or_none_when_someone_decided_meanwhile():
    wanda = user("wanda")
    home, source_paragraph = cable_with(QUOTED)
    source = decide(source_paragraph, "withhold", wanda, label="(b)(1) 1.4(d)")
    b, pb = cable_with(EDITED)
    c, pc = cable_with(QUOTED)
    sue = supervisor()
    for cable in (home, b, c):
        permissions.grant(permissions.REVIEW, sue, cable)
    propagation_preview(sue, source.pk)
    decide(pc, "release", wanda)  # after the preview

    with pytest.raises(ConcurrentDecision):
        propagation_apply(sue, source.pk, {pb.pk: None, pc.pk: None})

    assert not Decision.objects.filter(decided_by=sue).exists()


def test_only_a_supervisor_who_may_read_the_source_can_propagate():
    wanda = user("wanda")
    home, source_paragraph = cable_with(QUOTED, level=Level.S)
    source = decide(source_paragraph, "withhold", wanda, label="(b)(1) 1.4(d)")
    reviewer = user("rita")
    permissions.grant(permissions.REVIEW, reviewer, home)
    low = supervisor("lou")
    Clearance.objects.filter(user=low).update(level=int(Level.C))
    permissions.grant(permissions.REVIEW, low, home)
    low = type(low).objects.get(pk=low.pk)

    from django.http import Http404

    with pytest.raises(Http404):
        propagation_preview(reviewer, source.pk)  # not a supervisor
    with pytest.raises(Http404):
        propagation_preview(low, source.pk)  # a supervisor not cleared for the source
    with pytest.raises(ReviewError):
        propagation_apply(supervisor(), source.pk, {})

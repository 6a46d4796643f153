"""Paragraph decisions, workflow moves, the two-person rule and optimistic concurrency."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from audit.models import AuditEvent
from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import CableStatus, Clearance, Decision, ReviewState
from workflow.review import (
    ConcurrentDecision,
    ReviewError,
    cable_transition,
    current_decisions,
    decision_record,
)
from workflow.states import TRANSITIONS, TransitionError

pytestmark = pytest.mark.django_db


@pytest.fixture
def cable():
    cable = CableFactory(level=int(Level.S))
    for n, level in enumerate((Level.C, Level.U, Level.S), start=1):
        ParagraphFactory(
            cable=cable, ordinal=n, level=int(level), text=f"Paragraph {n} names Jane Doe in Rome."
        )
    return cable


def cleared(user, level=Level.TS):
    Clearance.objects.create(user=user, level=int(level))
    return user


@pytest.fixture
def reviewer(cable):
    user = cleared(UserFactory(username="rita"))
    permissions.grant(permissions.REVIEW, user, cable)
    return user


@pytest.fixture
def approver(cable):
    user = cleared(UserFactory(username="amos"))
    permissions.grant(permissions.RELEASE, user, cable)
    return user


def decide_all(cable, user, kind="release"):
    for p in cable.paragraphs.order_by("ordinal"):
        current = current_decisions(cable).get(p.pk)
        decision_record(
            user=user,
            paragraph=p,
            kind=kind,
            based_on=current and current.pk,
            label="(b)(1) 1.4(d)" if kind == "withhold" else "",
            agency="CIA" if kind == "refer" else "",
        )


def state(cable):
    return CableStatus.objects.get(cable=cable).review_state


def test_a_first_decision_opens_the_review_and_is_audited(cable, reviewer):
    p = cable.paragraphs.first()

    d = decision_record(user=reviewer, paragraph=p, kind="release", based_on=None)

    assert state(cable) == ReviewState.IN_REVIEW
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-2:] == ["state.changed", "decision.recorded"]
    assert AuditEvent.objects.last().after["id"] == d.pk


def test_decisions_are_append_only_a_change_is_a_new_row(cable, reviewer):
    p = cable.paragraphs.first()
    first = decision_record(user=reviewer, paragraph=p, kind="release", based_on=None)

    second = decision_record(
        user=reviewer,
        paragraph=p,
        kind="redact",
        based_on=first.pk,
        spans=[{"start": 18, "end": 26, "label": "(b)(6)"}],
    )

    assert list(Decision.objects.filter(paragraph=p).values_list("kind", flat=True)) == [
        "release",
        "redact",
    ]
    assert second.supersedes == first
    assert second.spans == [{"start": 18, "end": 26, "label": "(b)(6)"}]
    assert p.text[18:26] == "Jane Doe"
    assert current_decisions(cable)[p.pk] == second


def test_a_stale_decision_is_refused_with_who_decided_meanwhile(cable, reviewer):
    other = cleared(UserFactory(username="otto"))
    permissions.grant(permissions.REVIEW, other, cable)
    p = cable.paragraphs.first()
    decision_record(user=other, paragraph=p, kind="release", based_on=None)

    with pytest.raises(ConcurrentDecision, match="otto decided this paragraph"):
        decision_record(
            user=reviewer, paragraph=p, kind="withhold", based_on=None, label="(b)(1) 1.4(d)"
        )

    assert Decision.objects.filter(paragraph=p).count() == 1


def test_the_database_allows_one_successor_per_decision(cable, reviewer):
    p = cable.paragraphs.first()
    first = decision_record(user=reviewer, paragraph=p, kind="release", based_on=None)
    Decision.objects.create(
        cable=cable,
        paragraph=p,
        kind="release",
        supersedes=first,
        decided_by=reviewer,
        decided_at=timezone.now(),
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            cable=cable,
            paragraph=p,
            kind="release",
            supersedes=first,
            decided_by=reviewer,
            decided_at=timezone.now(),
        )


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        ("redact", {"spans": []}, "at least one"),
        ("redact", {"spans": [{"start": 5, "end": 500, "label": "(b)(6)"}]}, "outside"),
        ("redact", {"spans": [{"start": 0, "end": 5, "label": "(b)(12)"}]}, "redaction 0-5"),
        ("withhold", {"label": ""}, "withholding"),
        ("refer", {"agency": " "}, "agency"),
    ],
)
def test_an_incomplete_decision_is_refused_and_nothing_is_written(
    cable, reviewer, kind, kwargs, message
):
    with pytest.raises(ReviewError, match=message):
        decision_record(
            user=reviewer, paragraph=cable.paragraphs.first(), kind=kind, based_on=None, **kwargs
        )

    assert not Decision.objects.exists()


def test_without_review_permission_or_clearance_the_paragraph_does_not_exist(cable, reviewer):
    outsider = cleared(UserFactory())
    low = UserFactory()
    Clearance.objects.create(user=low, level=int(Level.C))
    permissions.grant(permissions.REVIEW, low, cable)
    secret = cable.paragraphs.get(ordinal=3)

    with pytest.raises(Http404):
        decision_record(user=outsider, paragraph=secret, kind="release", based_on=None)
    with pytest.raises(Http404):
        decision_record(user=low, paragraph=secret, kind="release", based_on=None)
    decision_record(
        user=low, paragraph=cable.paragraphs.get(ordinal=1), kind="release", based_on=None
    )
    assert Decision.objects.count() == 1


def test_review_then_approval_by_another_person_and_release_only_by_publishing(
    cable, reviewer, approver
):
    decide_all(cable, reviewer)

    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)
    cable_transition(user=approver, cable=cable, target=ReviewState.APPROVED)
    # RELEASED is reached only by publishing a verified release (releases.services).
    with pytest.raises(TransitionError, match="only by publishing"):
        cable_transition(user=approver, cable=cable, target=ReviewState.RELEASED)

    assert state(cable) == ReviewState.APPROVED
    moves = [e.after["state"] for e in AuditEvent.objects.filter(action="state.changed")]
    assert moves == ["in_review", "reviewed", "approved"]


def test_two_person_rule_refuses_an_approver_who_decided_a_paragraph(cable, reviewer):
    permissions.grant(permissions.RELEASE, reviewer, cable)
    decide_all(cable, reviewer)
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)

    with pytest.raises(TransitionError, match="two-person rule"):
        cable_transition(user=reviewer, cable=cable, target=ReviewState.APPROVED)

    assert state(cable) == ReviewState.REVIEWED


def test_review_cannot_finish_with_undecided_paragraphs(cable, reviewer):
    decision_record(
        user=reviewer, paragraph=cable.paragraphs.first(), kind="release", based_on=None
    )

    with pytest.raises(TransitionError, match="2 paragraph"):
        cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)


def test_an_open_referral_blocks_approval(cable, reviewer, approver):
    decide_all(cable, reviewer, kind="refer")
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)

    with pytest.raises(TransitionError, match="referral to CIA"):
        cable_transition(user=approver, cable=cable, target=ReviewState.APPROVED)


def test_a_refusal_names_no_agency_of_a_paragraph_above_the_users_clearance(cable, reviewer):
    decide_all(cable, reviewer)
    secret = cable.paragraphs.get(ordinal=3)  # SECRET
    current = current_decisions(cable)[secret.pk]
    decision_record(
        user=reviewer, paragraph=secret, kind="refer", based_on=current.pk, agency="NSA"
    )
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)
    low = UserFactory(username="low")
    Clearance.objects.create(user=low, level=int(Level.C))
    permissions.grant(permissions.RELEASE, low, cable)

    with pytest.raises(TransitionError) as refused:
        cable_transition(user=low, cable=cable, target=ReviewState.APPROVED)

    assert "NSA" not in str(refused.value)
    assert "above your clearance" in str(refused.value)


def test_a_returned_cable_goes_back_to_review(cable, reviewer, approver):
    decide_all(cable, reviewer)
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)

    cable_transition(user=approver, cable=cable, target=ReviewState.RETURNED, note="check ¶3")
    decide_all(cable, reviewer, kind="withhold")

    assert state(cable) == ReviewState.IN_REVIEW
    assert Decision.objects.filter(cable=cable).count() == 6


@pytest.mark.parametrize("target", [ReviewState.RELEASED, ReviewState.APPROVED])
def test_moves_outside_the_table_are_refused(cable, approver, target):
    with pytest.raises(TransitionError, match="cannot become"):
        cable_transition(user=approver, cable=cable, target=target)


def test_release_moves_need_the_release_permission(cable, reviewer):
    decide_all(cable, reviewer)
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)

    with pytest.raises(Http404):
        cable_transition(user=reviewer, cable=cable, target=ReviewState.APPROVED)


def test_the_table_has_no_dead_ends():
    reachable = {ReviewState.INGESTED}
    frontier = [ReviewState.INGESTED]
    while frontier:
        for nxt in TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(ReviewState.values)


def test_the_six_roles_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    groups = {g.name: {p.codename for p in g.permissions.all()} for g in Group.objects.all()}

    assert set(groups) >= {
        "admin", "rule editor", "reviewer", "release authority", "auditor", "security officer",
    }  # fmt: skip
    assert "change_redactionrule" in groups["rule editor"]
    assert groups["auditor"] == {"view_auditevent"}
    # Separation of duties: clearances and roles are the security officer's to change.
    assert {"add_clearance", "change_clearance", "change_user"} <= groups["security officer"]
    assert not {"add_clearance", "change_clearance", "change_user"} & groups["admin"]


def test_current_decisions_reads_what_the_orm_reads(cable, reviewer, django_assert_num_queries):
    """The latest decisions, written as one fixed statement, are the ORM's
    ``select_related`` answer field for field (JSON spans decoded, who decided loaded),
    in one query, with no query more to name who decided."""
    other = cleared(UserFactory(username="otto", first_name="Otto"))
    permissions.grant(permissions.REVIEW, other, cable)
    first, second, third = cable.paragraphs.order_by("ordinal")
    earlier = decision_record(user=reviewer, paragraph=first, kind="release", based_on=None)
    decision_record(
        user=other,
        paragraph=first,
        kind="redact",
        based_on=earlier.pk,
        spans=[{"start": 18, "end": 26, "label": "(b)(6)"}],
        note="a name",
    )
    decision_record(
        user=reviewer, paragraph=third, kind="withhold", based_on=None, label="(b)(1) 1.4(d)"
    )
    expected = {
        d.paragraph_id: d
        for d in Decision.objects.filter(cable=cable)
        .select_related("decided_by")
        .order_by("paragraph_id", "-id")
        .distinct("paragraph_id")
    }

    with django_assert_num_queries(1):
        current = current_decisions(cable)
        deciders = {pid: d.decided_by.get_username() for pid, d in current.items()}

    assert set(current) == {first.pk, third.pk} == set(expected)
    assert deciders == {first.pk: "otto", third.pk: "rita"}
    for pid, decision in current.items():
        want = expected[pid]
        for field in Decision._meta.concrete_fields:
            assert getattr(decision, field.attname) == getattr(want, field.attname), field.name
        for field in type(want.decided_by)._meta.concrete_fields:
            assert getattr(decision.decided_by, field.attname) == getattr(
                want.decided_by, field.attname
            ), field.name
    assert current[first.pk].spans == [{"start": 18, "end": 26, "label": "(b)(6)"}]
    assert current[first.pk].decided_by.first_name == "Otto"
    assert current_decisions(CableFactory()) == {}

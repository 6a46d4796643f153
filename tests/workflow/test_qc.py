"""Quality control: a fixed share of decisions sampled by hash, re-decided blind by a second
reviewer, and agreement rates for supervisors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.utils import timezone

from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions, qc
from workflow.models import Clearance, Decision, QCReview, ReviewState
from workflow.review import ConcurrentDecision, decision_record

pytestmark = pytest.mark.django_db


def person(name, level=Level.TS):
    user = UserFactory(username=name)
    Clearance.objects.create(user=user, level=int(level))
    return user


def test_the_sample_is_the_same_in_sql_and_python_and_near_the_share(settings):
    settings.DECLASS_QC_SAMPLE_PCT = 5
    reviewer = person("rita")
    cable = CableFactory()
    paragraphs = [ParagraphFactory(cable=cable, ordinal=i) for i in range(1, 401)]
    Decision.objects.bulk_create(
        Decision(
            cable=cable, paragraph=p, kind="release", decided_by=reviewer, decided_at=timezone.now()
        )
        for p in paragraphs
    )

    in_sql = set(qc.sampled(Decision.objects.all()).values_list("pk", flat=True))
    in_python = {d for d in Decision.objects.values_list("pk", flat=True) if qc.is_sampled(d)}

    assert in_sql == in_python
    assert 5 <= len(in_sql) <= 40  # 5% of 400, give or take the hash


@pytest.fixture
def sampled_world(settings):
    settings.DECLASS_QC_SAMPLE_PCT = 100  # every decision, so that the test is exact
    first, second = person("first"), person("second")
    low = person("low", Level.C)
    cable = CableFactory(level=int(Level.S), review_state=ReviewState.IN_REVIEW)
    p = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.S), text="Named source text.")
    for user in (first, second, low):
        permissions.grant(permissions.REVIEW, user, cable)
    decision = decision_record(
        user=first, paragraph=p, kind="withhold", label="(b)(1) 1.4(c)", based_on=None
    )
    return {"first": first, "second": second, "low": low, "decision": decision, "paragraph": p}


def test_a_sample_goes_to_a_second_reviewer_blind(sampled_world):
    first, second, low = sampled_world["first"], sampled_world["second"], sampled_world["low"]
    decision = sampled_world["decision"]

    tasks = qc.tasks_for(second)

    assert [t.decision_id for t in tasks] == [decision.pk]
    shown = tasks[0].as_dict()
    assert shown["text"] == "Named source text."
    assert not {"kind", "label", "decided_by", "spans"} & set(shown)
    assert "withhold" not in str(shown) and "1.4(c)" not in str(shown)
    assert qc.tasks_for(first) == []  # never one's own decision
    assert qc.tasks_for(low) == []  # a paragraph above the clearance is nobody's task there
    assert qc.pending_for_cable(decision.cable_id) == 1

    review = qc.redecide(user=second, decision_id=decision.pk, kind="release")

    assert review.agrees is False and review.reviewer == second
    assert qc.tasks_for(second) == []
    assert qc.pending_for_cable(decision.cable_id) == 0
    with pytest.raises(Http404):
        qc.redecide(user=second, decision_id=decision.pk, kind="release")


def test_the_first_reviewer_cannot_redecide_their_own(sampled_world):
    with pytest.raises(Http404):
        qc.redecide(
            user=sampled_world["first"], decision_id=sampled_world["decision"].pk, kind="release"
        )
    assert not QCReview.objects.exists()


def test_agreement_rates_for_supervisors_only(sampled_world):
    second = sampled_world["second"]
    decision = sampled_world["decision"]
    qc.redecide(user=second, decision_id=decision.pk, kind="withhold", label="(b)(1) 1.4(c)")
    sue = person("sue")
    sue.user_permissions.add(Permission.objects.get(codename="supervise_review"))
    sue = type(sue).objects.get(pk=sue.pk)

    with pytest.raises(Http404):
        qc.agreement(second)
    nothing_granted = qc.agreement(sue)
    permissions.grant(permissions.VIEW, sue, decision.cable)
    stats = qc.agreement(type(sue).objects.get(pk=sue.pk))

    assert nothing_granted["overall"]["n"] == 0
    assert stats["overall"] == {"n": 1, "agreed": 1, "rate": 1.0}
    assert stats["per_reviewer"] == {"first": {"n": 1, "agreed": 1, "rate": 1.0}}
    assert stats["per_exemption"]["(b)(1) 1.4(c)"]["rate"] == 1.0


def test_two_second_reviewers_at_once_record_one(sampled_world):
    third = person("third")
    permissions.grant(permissions.REVIEW, third, sampled_world["decision"].cable)
    qc.redecide(
        user=sampled_world["second"],
        decision_id=sampled_world["decision"].pk,
        kind="refer",
        agency="CIA",
    )

    with pytest.raises((Http404, ConcurrentDecision)):
        qc.redecide(user=third, decision_id=sampled_world["decision"].pk, kind="release")
    assert QCReview.objects.count() == 1

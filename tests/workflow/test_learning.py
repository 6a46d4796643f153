"""Learned suggestions: off below the threshold and saying so, trained once per change of
the decisions, shown with their version, and that version recorded with the decision."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.learning import service
from workflow.models import (
    Clearance,
    Decision,
    DecisionOrigin,
    ReviewState,
    SuggestionModel,
    SuggestionShown,
)
from workflow.reuse import suggested_decision_record
from workflow.tasks import learning_retrain_task
from workflow.triage import batch_release_confirm, cable_triage

pytestmark = pytest.mark.django_db

PLACES = ["Harare", "Ankara", "Colombo", "Kathmandu", "Brasilia", "Rome", "Ottawa", "Lima"]
PEOPLE = ["Okkan", "Pearson", "Diallo", "Quint", "Mugabe", "Ecevit", "Tsvangirai", "Ruiz"]


def released_text(i):
    place = PLACES[i % len(PLACES)]
    return (
        f"The wheat harvest around {place} is expected to fall by a tenth this year "
        f"after the dry spring, and the ministry plans grain imports (note {i})."
    )


def withheld_text(i):
    person = PEOPLE[i % len(PEOPLE)]
    return (
        f"Ambassador {person} told the station chief in confidence that the minister "
        f"would resign before the vote and asked us to keep his name out of it ({i})."
    )


def decided_world(n, reviewer):
    """``n`` decided paragraphs of two kinds, a cable each half the time."""
    for i in range(n):
        cable = CableFactory(level=int(Level.S), review_state=ReviewState.IN_REVIEW)
        if i % 2:
            p = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.S), text=withheld_text(i))
            kind, label = "withhold", "(b)(1) 1.4(d)"
        else:
            p = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U), text=released_text(i))
            kind, label = "release", ""
        Decision.objects.create(
            cable=cable,
            paragraph=p,
            kind=kind,
            label=label,
            decided_by=reviewer,
            decided_at=timezone.now(),
        )


@pytest.fixture
def reviewer():
    person = UserFactory(username="rita")
    Clearance.objects.create(user=person, level=int(Level.TS))
    return person


def test_the_model_is_off_below_the_threshold_and_says_so(settings, reviewer):
    settings.DECLASS_LEARNING_MIN_DECISIONS = 200
    decided_world(30, reviewer)

    state = service.status()
    learning_retrain_task()  # the beat task: nothing to train yet

    assert not state.enabled
    assert "30 decision(s) of 2 kind(s)" in state.message and "200" in state.message
    assert not SuggestionModel.objects.exists()
    cable = CableFactory(review_state=ReviewState.IN_REVIEW)
    ParagraphFactory(cable=cable, text=released_text(99))
    permissions.grant(permissions.REVIEW, reviewer, cable)
    state, suggestions = service.suggestions_for(reviewer, cable)
    assert suggestions == {} and not state.enabled
    assert not SuggestionShown.objects.exists()


def test_one_kind_alone_trains_nothing(settings, reviewer):
    settings.DECLASS_LEARNING_MIN_DECISIONS = 5
    for i in range(8):
        cable = CableFactory()
        p = ParagraphFactory(cable=cable, text=released_text(i))
        Decision.objects.create(
            cable=cable, paragraph=p, kind="release", decided_by=reviewer, decided_at=timezone.now()
        )

    assert service.retrain() is None
    assert "of 1 kind(s)" in service.status().message


def test_trained_once_per_change_and_its_version_recorded_with_the_decision(settings, reviewer):
    settings.DECLASS_LEARNING_MIN_DECISIONS = 40
    decided_world(60, reviewer)

    learning_retrain_task()
    version = SuggestionModel.objects.get()
    learning_retrain_task()  # the same decisions: no new version

    assert SuggestionModel.objects.count() == 1
    assert version.training_size == 60
    assert set(version.classes) == {"release", "withhold"}
    assert version.metrics["held_out"] == 12
    assert service.status().enabled

    cable = CableFactory(level=int(Level.S), review_state=ReviewState.IN_REVIEW)
    harvest = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U), text=released_text(7))
    source = ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=withheld_text(3))
    permissions.grant(permissions.REVIEW, reviewer, cable)

    state, suggestions = service.suggestions_for(reviewer, cable)

    assert suggestions[harvest.pk].kind == "release"
    assert suggestions[source.pk].kind == "withhold"
    assert suggestions[source.pk].label == "(b)(1) 1.4(d)"
    assert suggestions[harvest.pk].version == version.pk
    shown = SuggestionShown.objects.get(paragraph=harvest, user=reviewer)
    assert shown.model_version == version and shown.source == "learned"

    mine = suggested_decision_record(
        user=reviewer, paragraph=harvest, based_on=None, kind="withhold", label="(b)(6)"
    )
    accepted = suggested_decision_record(
        user=reviewer, paragraph=source, based_on=None, accept="learned"
    )

    assert mine.origin.via == DecisionOrigin.Via.SHOWN
    assert mine.origin.model_version == version
    assert accepted.kind == "withhold" and accepted.label == "(b)(1) 1.4(d)"
    assert accepted.origin.via == DecisionOrigin.Via.LEARNED
    assert accepted.origin.model_version == version

    # A new decision changes the set: the next run trains version 2.
    learning_retrain_task()
    assert SuggestionModel.objects.count() == 2


def test_a_model_row_not_signed_by_the_service_is_never_loaded(settings, reviewer):
    settings.DECLASS_LEARNING_MIN_DECISIONS = 40
    decided_world(40, reviewer)
    version = service.retrain()
    SuggestionModel.objects.filter(pk=version.pk).update(fitted=b"not the model")
    service._loaded.clear()

    with pytest.raises(ValueError, match="not signed"):
        service.fitted_for(version)


def test_triage_and_the_batch_needs_every_paragraph_shown(settings, reviewer):
    settings.DECLASS_LEARNING_MIN_DECISIONS = 40
    settings.DECLASS_LEARNING_CONFIDENCE_PCT = 60
    decided_world(60, reviewer)
    service.retrain()
    calm = CableFactory(level=int(Level.C), review_state=ReviewState.IN_REVIEW)
    a = ParagraphFactory(cable=calm, ordinal=1, level=int(Level.U), text=released_text(2))
    b = ParagraphFactory(cable=calm, ordinal=2, level=int(Level.U), text=released_text(4))
    hot = CableFactory(level=int(Level.S), review_state=ReviewState.IN_REVIEW)
    ParagraphFactory(cable=hot, ordinal=1, level=int(Level.S), text=withheld_text(5))
    permissions.grant(permissions.REVIEW, reviewer, [calm, hot])

    triage = cable_triage(reviewer, [calm.pk, hot.pk])

    assert triage[calm.pk].all_release_confident
    assert not triage[hot.pk].all_release_confident
    assert triage[hot.pk].sensitivity > triage[calm.pk].sensitivity
    from workflow.review import ReviewError

    with pytest.raises(ReviewError, match="not shown"):
        batch_release_confirm(reviewer, calm, [a.pk])
    assert not Decision.objects.filter(cable=calm).exists()

    recorded = batch_release_confirm(reviewer, calm, [a.pk, b.pk])

    assert {d.paragraph_id for d in recorded} == {a.pk, b.pk}
    assert all(d.kind == "release" and d.origin.via == "batch" for d in recorded)

"""Moves through the API as the personas make them: clearance, the two-person rule,
and no sweep pulling back a cable that a person already holds or released."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cables.markings import Level
from tests.api.helpers import token_client
from tests.factories import UserFactory
from workflow import permissions
from workflow.models import CableStatus, Clearance, Decision, ReviewState
from workflow.sweep import declass_due_sweep

pytestmark = pytest.mark.django_db


def move(client, cable, target):
    return client.post(f"/api/cables/{cable.pk}/transition/", {"target": target}, format="json")


def decide_all(world, reviewer):
    for paragraph in (world["low"], world["high"]):
        Decision.objects.create(
            cable=world["cable"],
            paragraph=paragraph,
            kind=Decision.Kind.RELEASE,
            decided_by=reviewer,
            decided_at=world["cable"].imported_at,
        )


def state_of(cable) -> str:
    return CableStatus.objects.get(cable=cable).review_state


def test_a_release_authority_below_the_cables_paragraphs_cannot_approve_it(world):
    """Item 8: a C-cleared release authority moved a SECRET cable to approved."""
    decide_all(world, world["users"]["reviewer"])
    finished = move(token_client(world["users"]["reviewer"]), world["cable"], "reviewed")
    assert finished.status_code == 200
    low_authority = UserFactory(username="c_authority")
    Clearance.objects.create(user=low_authority, level=int(Level.C))
    permissions.grant(permissions.RELEASE, low_authority, world["cable"])

    response = move(token_client(low_authority), world["cable"], "approved")

    assert response.status_code == 409
    assert "above your clearance" in response.json()["detail"]
    assert state_of(world["cable"]) == ReviewState.REVIEWED
    # The refusal names no text of the paragraph it may not read.
    assert "SECRETWORDS" not in response.content.decode()


def test_a_reviewer_below_a_paragraph_cannot_finish_the_review(world):
    decide_all(world, world["users"]["reviewer"])

    response = move(token_client(world["users"]["low_clearance"]), world["cable"], "reviewed")

    assert response.status_code == 409
    assert state_of(world["cable"]) == ReviewState.IN_REVIEW


def test_whoever_finished_the_review_cannot_approve_the_release(world):
    """Item 9: the user who moved the cable to reviewed then approved its release."""
    decide_all(world, world["users"]["reviewer"])
    both = world["users"]["releaser"]
    permissions.grant(permissions.REVIEW, both, world["cable"])
    assert move(token_client(both), world["cable"], "reviewed").status_code == 200

    response = move(token_client(both), world["cable"], "approved")

    assert response.status_code == 409
    assert "two-person rule: you finished this cable's review" in response.json()["detail"]
    assert state_of(world["cable"]) == ReviewState.REVIEWED
    # Another release authority may.
    other = UserFactory(username="second_authority")
    Clearance.objects.create(user=other, level=int(Level.TS))
    permissions.grant(permissions.RELEASE, other, world["cable"])
    assert move(token_client(other), world["cable"], "approved").status_code == 200


@pytest.mark.parametrize("held", [ReviewState.REVIEWED, ReviewState.APPROVED])
def test_the_sweep_leaves_cables_a_person_holds(world, held):
    """Item 10: the state table let the sweep pull reviewed and approved cables back."""
    cable = world["cable"]
    cable.declass_date = date.today() - timedelta(days=10)
    cable.save(update_fields=["declass_date"])
    CableStatus.objects.filter(cable=cable).update(review_state=held)

    run = declass_due_sweep()

    assert run.flagged == 0
    assert state_of(cable) == held
    refused = move(token_client(world["users"]["releaser"]), cable, "due")
    assert refused.status_code == 409

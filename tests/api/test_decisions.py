"""Paragraph decisions over the API: append-only, optimistic concurrency, clear refusals."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.api.helpers import token_client
from tests.factories import UserFactory
from workflow import permissions
from workflow.models import CableStatus, Clearance, Decision, ReviewState

pytestmark = pytest.mark.django_db


def decide(client, paragraph, **body):
    return client.post(f"/api/paragraphs/{paragraph.pk}/decisions/", body, format="json")


@pytest.fixture
def second_reviewer(world):
    user = UserFactory(username="second")
    Clearance.objects.create(user=user, level=3)
    permissions.grant(permissions.REVIEW, user, world["cable"])
    return user


def test_a_decision_is_recorded_with_its_audit_entry(api_for, world):
    response = decide(
        api_for("reviewer"),
        world["low"],
        kind="redact",
        based_on=None,
        spans=[{"start": 0, "end": 12, "label": "(b)(6)"}],
        note="name of a source",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "redact"
    assert body["spans"] == [{"start": 0, "end": 12, "label": "(b)(6)"}]
    assert body["decided_by"] == "reviewer" and body["supersedes"] is None
    decision = Decision.objects.get(pk=body["id"])
    assert AuditEvent.objects.filter(
        action="decision.recorded", object_id=str(decision.pk)
    ).exists()


def test_a_second_reviewer_deciding_from_the_same_state_gets_409(api_for, world, second_reviewer):
    first = decide(api_for("reviewer"), world["low"], kind="release", based_on=None)

    clash = decide(
        token_client(second_reviewer), world["low"], kind="refer", agency="DOD", based_on=None
    )

    assert first.status_code == 201
    assert clash.status_code == 409
    assert "reviewer decided this paragraph (release in full)" in clash.json()["detail"]
    assert list(Decision.objects.values_list("kind", flat=True)) == ["release"]


def test_deciding_on_top_of_the_latest_decision_supersedes_it(api_for, world, second_reviewer):
    first = decide(api_for("reviewer"), world["low"], kind="release", based_on=None).json()

    second = decide(
        token_client(second_reviewer),
        world["low"],
        kind="withhold",
        based_on=first["id"],
        label="(b)(1) 1.4(d)",
    )
    stale = decide(api_for("reviewer"), world["low"], kind="release", based_on=first["id"])

    assert second.status_code == 201 and second.json()["supersedes"] == first["id"]
    assert stale.status_code == 409
    history = api_for("reviewer").get(f"/api/paragraphs/{world['low'].pk}/decisions/").json()
    assert [d["kind"] for d in history["results"]] == ["release", "withhold"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "redact", "based_on": None}, "at least one redacted span"),
        (
            {
                "kind": "redact",
                "based_on": None,
                "spans": [{"start": 5, "end": 999, "label": "(b)(6)"}],
            },
            "outside the paragraph",
        ),
        ({"kind": "withhold", "based_on": None, "label": "(b)(12)"}, "withholding:"),
        ({"kind": "refer", "based_on": None, "agency": "  "}, "must name the agency"),
    ],
)
def test_an_incomplete_decision_is_a_400_saying_why(api_for, world, body, message):
    response = decide(api_for("reviewer"), world["low"], **body)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Decision.objects.exists()


def test_a_malformed_decision_names_the_field(api_for, world):
    response = decide(api_for("reviewer"), world["low"], kind="shred")

    assert response.status_code == 400
    assert set(response.json()) == {"kind", "based_on"}


def test_decisions_are_closed_once_the_review_is_finished(api_for, world):
    CableStatus.objects.filter(cable=world["cable"]).update(review_state=ReviewState.REVIEWED)

    response = decide(api_for("reviewer"), world["low"], kind="release", based_on=None)

    assert response.status_code == 400
    assert "decisions are closed" in response.json()["detail"]


def test_a_refused_move_is_a_409_with_the_reason(api_for, world):
    response = api_for("reviewer").post(
        f"/api/cables/{world['cable'].pk}/transition/", {"target": "released"}, format="json"
    )

    assert response.status_code == 404  # releasing needs the release permission

    response = api_for("releaser").post(
        f"/api/cables/{world['cable'].pk}/transition/", {"target": "released"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "a cable in review cannot become released"

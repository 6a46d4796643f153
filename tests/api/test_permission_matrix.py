"""Every API endpoint against every persona, as the web UI's matrix does for its pages.

Anonymous callers get 401; a cable that exists but is not the caller's answers
exactly like one that does not exist (404); view-only users read but cannot
decide; reviewers decide; a paragraph above the caller's clearance is never sent.
"""

from __future__ import annotations

import json

import pytest

from redaction.models import ProposedRedaction
from tests.api.helpers import PERSONAS, SECRET
from tests.factories import UserFactory
from workflow.models import CableStatus, Clearance, Decision, ReviewState

pytestmark = pytest.mark.django_db

# (endpoint, expected status per persona, in PERSONAS order)
MATRIX = [
    ("cable list", ["401", "200", "200", "200", "200", "200"]),
    ("cable", ["401", "404", "200", "200", "200", "200"]),
    ("paragraphs", ["401", "404", "200", "200", "200", "200"]),
    ("proposals", ["401", "404", "404", "200", "200", "200"]),
    ("current decisions", ["401", "404", "404", "200", "200", "200"]),
    ("paragraph low", ["401", "404", "200", "200", "200", "200"]),
    ("paragraph high", ["401", "404", "200", "200", "200", "404"]),
    ("history low", ["401", "404", "404", "200", "200", "200"]),
    ("history high", ["401", "404", "404", "200", "200", "404"]),
    ("decide low", ["401", "404", "404", "201", "404", "201"]),
    ("decide high", ["401", "404", "404", "201", "404", "404"]),
    # Undecided paragraphs: the guard refuses a reviewer; a releaser may not finish a review.
    ("finish review", ["401", "404", "404", "409", "404", "409"]),
    ("approve", ["401", "404", "404", "404", "409", "404"]),
    ("missing cable", ["401", "404", "404", "404", "404", "404"]),
    ("rules", ["401", "403", "403", "403", "403", "403"]),
    ("create rule", ["401", "403", "403", "403", "403", "403"]),
    ("import", ["401", "403", "403", "403", "403", "403"]),
    ("releases", ["401", "200", "200", "200", "200", "200"]),
]
READS = [
    "cable list", "cable", "paragraphs", "proposals", "current decisions", "paragraph low",
    "paragraph high", "history low", "history high",
]  # fmt: skip


def call(client, world, endpoint):
    cable, low, high = world["cable"].pk, world["low"].pk, world["high"].pk
    requests = {
        "cable list": ("get", "/api/cables/", None),
        "cable": ("get", f"/api/cables/{cable}/", None),
        "paragraphs": ("get", f"/api/cables/{cable}/paragraphs/", None),
        "proposals": ("get", f"/api/cables/{cable}/proposals/", None),
        "current decisions": ("get", f"/api/cables/{cable}/decisions/", None),
        "paragraph low": ("get", f"/api/paragraphs/{low}/", None),
        "paragraph high": ("get", f"/api/paragraphs/{high}/", None),
        "history low": ("get", f"/api/paragraphs/{low}/decisions/", None),
        "history high": ("get", f"/api/paragraphs/{high}/decisions/", None),
        "decide low": (
            "post",
            f"/api/paragraphs/{low}/decisions/",
            {"kind": "release", "based_on": None},
        ),
        "decide high": (
            "post",
            f"/api/paragraphs/{high}/decisions/",
            {"kind": "release", "based_on": None},
        ),
        "finish review": ("post", f"/api/cables/{cable}/transition/", {"target": "reviewed"}),
        "approve": ("post", f"/api/cables/{cable}/transition/", {"target": "approved"}),
        "missing cable": ("get", f"/api/cables/{cable + 1000}/", None),
        "rules": ("get", "/api/rules/", None),
        "create rule": (
            "post",
            "/api/rules/",
            {"name": "x", "kind": "terms", "terms": "alpha", "label": "(b)(6)"},
        ),
        "import": ("post", "/api/imports/", None),
        "releases": ("get", "/api/releases/", None),
    }
    method, url, data = requests[endpoint]
    return getattr(client, method)(url, data, format="json" if data else None)


@pytest.mark.parametrize(("endpoint", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(api_for, world, persona, endpoint, expected):
    response = call(api_for(persona), world, endpoint)

    assert str(response.status_code) == expected[PERSONAS.index(persona)], response.content


def test_anonymous_is_told_how_to_authenticate(api_for, world):
    response = api_for("anonymous").get("/api/cables/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_cable_without_permission_is_not_listed(api_for, world):
    listed = {
        persona: [c["id"] for c in api_for(persona).get("/api/cables/").json()["results"]]
        for persona in PERSONAS[1:]
    }

    assert listed["no_permission"] == []
    assert all(ids == [world["cable"].pk] for p, ids in listed.items() if p != "no_permission")


@pytest.fixture
def leaky_world(world):
    """The SECRET paragraph also carries a proposal and a decision whose note quotes it."""
    cable, high = world["cable"], world["high"]
    ProposedRedaction.objects.create(
        cable=cable,
        paragraph=high,
        start=0,
        end=len(SECRET),
        action="redact",
        labels=["(b)(1) 1.4(d)"],
        rules=[[1, 1]],
        created_at=cable.imported_at,
    )
    Decision.objects.create(
        cable=cable,
        paragraph=high,
        kind="withhold",
        label="(b)(1) 1.4(d)",
        note=f"withheld because of {SECRET}",
        decided_by=UserFactory(username="earlier"),
        decided_at=cable.imported_at,
    )
    return world


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_only_cleared_text_is_ever_sent(api_for, leaky_world, persona):
    client = api_for(persona)
    bodies = [json.dumps(call(client, leaky_world, e).json()) for e in READS]

    shown = any(SECRET in body for body in bodies)

    assert shown is (persona in ("view_only", "reviewer", "releaser"))


def test_a_paragraph_above_clearance_is_counted_but_not_listed(api_for, leaky_world):
    client = api_for("low_clearance")
    cable = leaky_world["cable"].pk

    detail = client.get(f"/api/cables/{cable}/").json()
    paragraphs = client.get(f"/api/cables/{cable}/paragraphs/").json()
    proposals = client.get(f"/api/cables/{cable}/proposals/").json()
    decisions = client.get(f"/api/cables/{cable}/decisions/").json()

    assert (detail["paragraphs_visible"], detail["paragraphs_hidden"]) == (1, 1)
    assert [p["id"] for p in paragraphs["results"]] == [leaky_world["low"].pk]
    assert proposals["count"] == 0
    assert decisions["count"] == 0


def test_the_cable_raw_text_is_never_sent(api_for, world):
    cable = world["cable"]
    body = api_for("reviewer").get(f"/api/cables/{cable.pk}/").json()

    assert "raw_text" not in body
    assert cable.raw_text not in json.dumps(body)


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_decisions_happen_only_where_the_matrix_allows(api_for, world, persona):
    client = api_for(persona)
    call(client, world, "decide low")
    call(client, world, "decide high")

    decided = set(Decision.objects.values_list("paragraph_id", flat=True))

    expected = {
        "reviewer": {world["low"].pk, world["high"].pk},
        "low_clearance": {world["low"].pk},
    }.get(persona, set())
    assert decided == expected


def test_clearance_is_read_fresh_for_every_request(api_for, world):
    client = api_for("reviewer")
    high = f"/api/paragraphs/{world['high'].pk}/"
    assert client.get(high).status_code == 200

    Clearance.objects.filter(user=world["users"]["reviewer"]).update(level=0)

    assert client.get(high).status_code == 404


def test_a_reviewer_finishes_a_fully_decided_review(api_for, world):
    client = api_for("reviewer")
    for paragraph in (world["low"], world["high"]):
        response = client.post(
            f"/api/paragraphs/{paragraph.pk}/decisions/",
            {"kind": "release", "based_on": None},
            format="json",
        )
        assert response.status_code == 201

    response = call(client, world, "finish review")

    assert response.status_code == 200
    assert response.json() == {"id": world["cable"].pk, "state": "reviewed"}
    assert CableStatus.objects.get(cable=world["cable"]).review_state == ReviewState.REVIEWED

"""Every view and action against every persona: who gets the page, who gets 404.

Personas: anonymous, logged in with no permission, view only, reviewer,
release authority, and a reviewer cleared below one of the cable's paragraphs.
A cable that exists but is not the user's answers exactly like one that does
not exist (404); anonymous users are sent to log in.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CableFactory, persona_world
from workflow.models import CableStatus, Decision, ReviewState

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "no_permission", "view_only", "reviewer", "releaser", "low_clearance"]


@pytest.fixture
def world():
    return persona_world("SECRETWORDS here.")


def client_for(client, world, persona):
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


def outcome(response) -> str:
    if response.status_code == 302 and "/login/" in response.get("Location", ""):
        return "login"
    return str(response.status_code)


# (view, method, expected outcome per persona, in PERSONAS order)
PAGES = [
    ("cable page", "get", ["login", "404", "200", "200", "200", "200"]),
    ("review page", "get", ["login", "404", "404", "200", "404", "200"]),
    ("approval page", "get", ["login", "404", "404", "404", "200", "404"]),
    ("queue", "get", ["login", "200", "200", "200", "200", "200"]),
    ("forecast", "get", ["login", "200", "200", "200", "200", "200"]),
    ("audit", "get", ["login", "403", "403", "403", "403", "403"]),
    ("decide low", "post", ["login", "404", "404", "302", "404", "302"]),
    ("decide high", "post", ["login", "404", "404", "302", "404", "404"]),
    ("finish review", "post", ["login", "404", "404", "302", "404", "302"]),
]


def request(client, world, view, method):
    cable, low, high = world["cable"], world["low"], world["high"]
    urls = {
        "cable page": reverse("cables:detail", args=[cable.pk]),
        "review page": reverse("workflow:review", args=[cable.pk]),
        "approval page": reverse("releases:approval", args=[cable.pk]),
        "queue": reverse("workflow:queue"),
        "forecast": reverse("workflow:forecast"),
        "audit": reverse("workflow:audit"),
        "decide low": reverse("workflow:decide", args=[low.pk]),
        "decide high": reverse("workflow:decide", args=[high.pk]),
        "finish review": reverse("workflow:transition", args=[cable.pk]),
    }
    data = {
        "decide low": {"kind": "release"},
        "decide high": {"kind": "release"},
        "finish review": {"target": "reviewed"},
    }.get(view, {})
    return getattr(client, method)(urls[view], data)


@pytest.mark.parametrize(("view", "method", "expected"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(client, world, persona, view, method, expected):
    response = request(client_for(client, world, persona), world, view, method)

    assert outcome(response) == expected[PERSONAS.index(persona)]


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_only_cleared_text_reaches_the_browser(client, world, persona):
    client = client_for(client, world, persona)
    bodies = [
        request(client, world, v, "get").content.decode()
        for v in ("cable page", "review page", "approval page", "queue")
    ]

    shown = any("SECRETWORDS" in body for body in bodies)

    assert shown is (persona in ("view_only", "reviewer", "releaser"))


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_decisions_happen_only_where_the_matrix_allows(client, world, persona):
    client = client_for(client, world, persona)
    request(client, world, "decide low", "post")
    request(client, world, "decide high", "post")

    decided = set(Decision.objects.values_list("paragraph_id", flat=True))

    expected = {
        "reviewer": {world["low"].pk, world["high"].pk},
        "low_clearance": {world["low"].pk},
    }.get(persona, set())
    assert decided == expected


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_bulk_actions_check_every_cable_on_the_server(client, world, persona):
    # Given the persona's cable (fully decided) and one they hold nothing on
    cable, foreign = world["cable"], CableFactory(review_state=ReviewState.IN_REVIEW)
    reviewer = world["users"]["reviewer"]
    for p in (world["low"], world["high"]):
        Decision.objects.create(
            cable=cable,
            paragraph=p,
            kind="release",
            decided_by=reviewer,
            decided_at=cable.imported_at,
        )
    client = client_for(client, world, persona)

    # When they ask to finish the review of both at once
    client.post(reverse("workflow:bulk"), {"target": "reviewed", "cables": [cable.pk, foreign.pk]})

    # Then only a cable they may review moves; the foreign one never does
    states = dict(CableStatus.objects.values_list("cable_id", "review_state"))
    assert states[foreign.pk] == ReviewState.IN_REVIEW
    # low_clearance may review the cable but not finish it: a paragraph is above them.
    may_review = persona == "reviewer"
    assert (states[cable.pk] == ReviewState.REVIEWED) is may_review


def test_bulk_for_anonymous_goes_to_login(client, world):
    response = client.post(
        reverse("workflow:bulk"), {"target": "reviewed", "cables": [world["cable"].pk]}
    )
    assert outcome(response) == "login"

"""Issue "Nothing above your clearance" (11): the consistency panel names another cable
only when the viewer may read the paragraph of it involved: a grant on that cable
and clearance for that paragraph.

Each test is a reviewer opening the review page of the cable they review.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cables.markings import Level
from tests.cables.test_near_duplicates import HARVEST, TALKS
from tests.factories import UserFactory
from tests.workflow.test_consistency import cable_with, decide, indexed
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Cable A withholds, in a SECRET paragraph, the talks paragraph that cable B (the
    reviewer's, CONFIDENTIAL) would release."""
    a, (talks_a,) = cable_with(TALKS, level=Level.S)
    decide(talks_a, "withhold", label="(b)(1) 1.4(d)", by=UserFactory(username="vera"))
    b, _ = cable_with(TALKS, HARVEST, level=Level.C)
    indexed(a, b)
    reviewer = UserFactory(username="cora")
    Clearance.objects.create(user=reviewer, level=int(Level.C))
    permissions.grant(permissions.REVIEW, reviewer, b)
    permissions.grant(permissions.VIEW, reviewer, a)  # a grant, but not the clearance
    return a, b, reviewer


def review_page(client, reviewer, cable) -> str:
    client.force_login(reviewer)
    response = client.get(reverse("workflow:review", args=[cable.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_c_cleared_reviewer_is_warned_but_not_told_which_secret_cable(client, world):
    a, b, reviewer = world

    html = review_page(client, reviewer, b)

    assert "Consistency with other cables" in html
    assert "Withheld in full" in html  # the warning stays
    assert a.reference_id not in html
    assert "vera" not in html  # nor who decided there
    assert "another cable (not yours to view)" in html


def test_cleared_for_the_paragraph_the_reviewer_sees_which_cable(client, world):
    a, b, reviewer = world
    reviewer.clearance.level = int(Level.S)
    reviewer.clearance.save()

    html = review_page(client, reviewer, b)

    assert a.reference_id in html and "vera" in html


def test_cleared_but_without_a_grant_the_cable_is_not_named(client, world):
    a, b, _ = world
    other = UserFactory(username="otto")
    Clearance.objects.create(user=other, level=int(Level.TS))
    permissions.grant(permissions.REVIEW, other, b)

    html = review_page(client, other, b)

    assert "Withheld in full" in html and a.reference_id not in html

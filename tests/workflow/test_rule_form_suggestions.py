"""The rule form's scope suggests posts and TAGS only of the cables the editor may view.

A post or a TAG is a header field: an editor learns it only of a cable they hold a
grant on (directly or through a group).  The suggestions are computed for each page,
in one query, and never shared between editors, so a grant revoked a moment ago
suggests nothing on the next page.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cables.markings import Level
from cables.models import Cable, CableTag
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import CableUserObjectPermission, Clearance

pytestmark = pytest.mark.django_db

ADD = "admin:redaction_redactionrule_add"


def editor(username: str, level: Level = Level.S):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="rule editor"))
    Clearance.objects.create(user=user, level=int(level))
    return user


def tagged(reference_id: str, origin: str, *tags: str) -> Cable:
    cable = CableFactory(reference_id=reference_id, origin=origin, tags=list(tags))
    CableTag.objects.bulk_create([CableTag(cable=cable, tag=tag) for tag in tags])
    return cable


def suggested(client, user) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """The posts and TAGS the new rule form's datalists offer, as the editor opens it."""
    client.force_login(user)
    response = client.get(reverse(ADD))
    assert response.status_code == 200
    html = response.content.decode()

    def options(field: str) -> list[str]:
        found = re.search(rf'<datalist id="id_{field}-suggestions">(.*?)</datalist>', html, re.S)
        assert found is not None
        return re.findall(r'<option value="([^"]*)">', found.group(1))

    return options("scope_posts"), options("scope_tags")


@pytest.fixture
def cables() -> tuple[Cable, Cable]:
    return (
        tagged("06ANKARA1", "Embassy Ankara", "PTER", "TU"),
        tagged("06HIDDEN2", "Consulate Blueheron Cove", "PREL", "NIGHTJAR"),
    )


def test_each_editor_is_offered_the_posts_and_tags_of_their_own_cables_only(client, cables):
    ankara, hidden = cables
    granted, other = editor("edna"), editor("edith")
    permissions.grant(permissions.VIEW, granted, ankara)
    desk = Group.objects.create(name="desk")
    other.groups.add(desk)
    permissions.grant(permissions.VIEW, desk, hidden)  # through a group

    # one after the other, each in turn: nothing one editor is offered reaches the other
    assert suggested(client, granted) == (["Embassy Ankara"], ["PTER", "TU"])
    assert suggested(client, other) == (["Consulate Blueheron Cove"], ["NIGHTJAR", "PREL"])
    assert suggested(client, granted) == (["Embassy Ankara"], ["PTER", "TU"])
    assert suggested(client, editor("eve")) == ([], [])


def test_a_revoked_grant_is_suggested_no_more_on_the_next_page(client, cables):
    ankara, _ = cables
    user = editor("edna")
    permissions.grant(permissions.VIEW, user, ankara)
    assert suggested(client, user) == (["Embassy Ankara"], ["PTER", "TU"])

    CableUserObjectPermission.objects.filter(user=user, content_object=ankara).delete()

    assert suggested(client, user) == ([], [])


def test_a_superuser_is_offered_every_post_and_tag_once_each_in_order(client, cables):
    tagged("06ANKARA3", "Embassy Ankara", "PTER", "ECON")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)

    posts, tags = suggested(client, admin)

    assert posts == ["Consulate Blueheron Cove", "Embassy Ankara"]
    assert tags == ["ECON", "NIGHTJAR", "PREL", "PTER", "TU"]


def test_the_suggestions_are_one_query_whatever_the_number_of_cables(client, cables):
    user = editor("edna")
    for cable in cables:
        permissions.grant(permissions.VIEW, user, cable)
    client.force_login(user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(ADD))

    assert response.status_code == 200
    reading_tags = [q["sql"] for q in queries if "cables_cabletag" in q["sql"]]
    assert len(reading_tags) == 1
    assert "UNION ALL" in reading_tags[0] and '"origin"' in reading_tags[0]

"""The queue and review pages' cheaper grant checks answer exactly what the full
permission subquery answers, follow every grant and revoke at once (nothing is kept
between requests), and the queue page runs a fixed number of queries.
"""

from __future__ import annotations

import random

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import connection
from django.urls import reverse

from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import access, permissions
from workflow.models import CableUserObjectPermission, Clearance, ReviewState
from workflow.review_views import bulk_moves

pytestmark = pytest.mark.django_db

CODENAMES = [
    (permissions.REVIEW,),
    (permissions.RELEASE,),
    (permissions.VIEW,),
    (permissions.REVIEW, permissions.RELEASE),
]


def _full(user, ids, *codenames) -> set[int]:
    """The reference answer: the user's whole permitted set, then the ids among it."""
    return set(
        permissions.cables_for_user(user, *codenames)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )


@pytest.fixture
def world():
    rng = random.Random(15)
    cables = [CableFactory(review_state=ReviewState.DUE) for _ in range(24)]
    desk, other_desk = Group.objects.create(name="desk"), Group.objects.create(name="desk2")
    user = UserFactory()
    user.groups.add(desk, other_desk)
    stranger = UserFactory()
    for cable in cables:
        draw = rng.random()
        if draw < 0.3:
            permissions.grant(permissions.REVIEW, user, cable)
        elif draw < 0.45:
            permissions.grant(permissions.RELEASE, desk, cable)
        elif draw < 0.6:
            permissions.grant(permissions.VIEW, other_desk, cable)
        elif draw < 0.75:  # held both ways
            permissions.grant(permissions.REVIEW, user, cable)
            permissions.grant(permissions.REVIEW, desk, cable)
        else:
            permissions.grant(permissions.REVIEW, stranger, cable)
    return user, stranger, cables


def test_the_page_checks_agree_with_the_full_subquery(world):
    user, stranger, cables = world
    ids = [c.pk for c in cables]
    superuser = UserFactory(is_superuser=True)
    inactive = UserFactory(is_active=False)
    permissions.grant(permissions.REVIEW, inactive, cables[0])
    for who in (user, stranger, superuser, inactive, AnonymousUser()):
        for codenames in CODENAMES:
            expected = _full(who, ids, *codenames)
            assert permissions.permitted_among(who, ids, *codenames) == expected
            among = permissions.cables_for_user(who, *codenames, among=ids)
            assert set(among.values_list("pk", flat=True)) == expected
            for cable in cables[:6]:
                one = permissions.cables_for_user(who, *codenames, among=[cable.pk])
                assert set(one.values_list("pk", flat=True)) == expected & {cable.pk}
            held = permissions.held_anywhere(who, *codenames)
            for codename in codenames:
                assert (codename in held) == permissions.cables_for_user(who, codename).exists()


def test_the_written_out_check_bounded_to_a_page_answers_as_the_full_subquery(world):
    """``holds_sql(among=...)`` (the queue's rows, bounded to the page's ids so that the
    database never gathers all of a reviewer's grants) answers as the unbounded form and
    as the full subquery, for users, groups, the superuser and the inactive."""
    user, stranger, cables = world
    ids = [c.pk for c in cables]
    page = ids[::2]  # the rows a page asks about: ids outside it are never asked
    inactive = UserFactory(is_active=False)
    permissions.grant(permissions.REVIEW, inactive, cables[0])
    for who in (user, stranger, UserFactory(is_superuser=True), inactive):
        for codenames in CODENAMES:
            answers = []
            for among in (None, page):
                held, params = access.readable_cables_sql(who, "c", *codenames, among=among)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT c.id FROM cables_cable c WHERE c.id = ANY(%s) AND {held}",
                        [page, *params],
                    )
                    answers.append({row[0] for row in cursor.fetchall()})
            assert answers[0] == answers[1] == _full(who, page, *codenames)


def test_a_revoke_takes_effect_on_the_next_check(world):
    user, _, cables = world
    cable = cables[0]
    permissions.grant(permissions.REVIEW, user, cable)
    assert permissions.permitted_among(user, [cable.pk], permissions.REVIEW) == {cable.pk}
    assert permissions.has_cable_perm(user, permissions.REVIEW, cable)

    CableUserObjectPermission.objects.filter(user=user, content_object=cable).delete()

    assert permissions.permitted_among(user, [cable.pk], permissions.REVIEW) == _full(
        user, [cable.pk], permissions.REVIEW
    )
    assert permissions.has_cable_perm(user, permissions.REVIEW, cable) == bool(
        _full(user, [cable.pk], permissions.REVIEW)
    )


def test_bulk_moves_follow_the_grants(world):
    _, _, cables = world
    reviewer, authority = UserFactory(), UserFactory()
    assert bulk_moves(reviewer) == []
    permissions.grant(permissions.REVIEW, reviewer, cables[1])
    assert [label for _, label in bulk_moves(reviewer)] == ["Mark review finished"]
    desk = Group.objects.create(name="authority")
    authority.groups.add(desk)
    permissions.grant(permissions.RELEASE, desk, cables[2])
    assert [label for _, label in bulk_moves(authority)] == [
        "Approve for release",
        "Return for rework",
    ]
    authority.groups.remove(desk)
    assert bulk_moves(authority) == []


def test_one_cables_paragraphs_still_need_the_grant_and_the_clearance():
    user = UserFactory()
    Clearance.objects.create(user=user, level=int(Level.C))
    cable = CableFactory()
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U))
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S))
    assert list(access.cleared_paragraphs(user, cable)) == []  # no grant: nothing
    permissions.grant(permissions.VIEW, user, cable)
    assert [p.ordinal for p in access.cleared_paragraphs(user, cable)] == [1]
    other = CableFactory()
    ParagraphFactory(cable=other, ordinal=1, level=int(Level.U))
    # Rows of another cable never come through the one cable's check.
    mixed = access.readable_paragraphs(
        user, cable.paragraphs.model.objects.filter(cable__in=[cable, other]), cables=[cable.pk]
    )
    assert [p.cable_id for p in mixed] == [cable.pk]


def test_the_queue_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    user = UserFactory()
    desk = Group.objects.create(name="queue-desk")
    user.groups.add(desk)
    reviewed = [CableFactory(review_state=ReviewState.DUE) for _ in range(30)]
    released = [CableFactory(review_state=ReviewState.DUE) for _ in range(30)]
    permissions.grant(permissions.REVIEW, user, reviewed)
    permissions.grant(permissions.RELEASE, desk, released)
    client.force_login(user)
    url = reverse("workflow:queue")
    assert client.get(url).status_code == 200  # session cached, per-process caches warm

    # The user with clearance, the queue index page with its length, the page's cables
    # (with their open re-review rounds and whether the user reviews each), which bulk
    # moves the user's grants allow, and the menu's permissions; the session comes from
    # the cache.
    with django_assert_num_queries(5):
        response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "60 cables" in page
    # Cables the user reviews link to their review page; those the desk only releases,
    # to the cable page.
    for cable in reviewed[:5]:
        assert f'href="{reverse("workflow:review", args=[cable.pk])}"' in page
        assert f'href="{reverse("cables:detail", args=[cable.pk])}"' not in page
    for cable in released[:5]:
        assert f'href="{reverse("cables:detail", args=[cable.pk])}"' in page
        assert f'href="{reverse("workflow:review", args=[cable.pk])}"' not in page

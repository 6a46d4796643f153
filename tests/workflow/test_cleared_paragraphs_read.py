"""The review page's paragraph read, written as one statement: the same paragraphs as
``workflow.access.cleared_paragraphs`` for every kind of reader, and the cable's count."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import access, permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

LEVELS = (Level.U, Level.C, Level.S, Level.TS)


@pytest.fixture
def cable():
    cable = CableFactory(level=int(Level.TS))
    # Stored out of reading order: the read sorts by ordinal.
    for ordinal, level in ((3, Level.S), (1, Level.U), (4, Level.TS), (2, Level.C)):
        ParagraphFactory(cable=cable, ordinal=ordinal, level=int(level), text=f"Part {ordinal}.")
    return cable


def cleared(name, level, **fields):
    user = UserFactory(username=name, **fields)
    if level is not None:
        Clearance.objects.create(user=user, level=int(level))
    return user


def readers(cable):
    direct = cleared("direct-s", Level.S)
    permissions.grant(permissions.VIEW, direct, cable)
    via_group = cleared("group-c", Level.C)
    group = Group.objects.create(name="readers of the cable")
    via_group.groups.add(group)
    permissions.grant(permissions.VIEW, group, cable)
    reviewer = cleared("reviewer-ts", Level.TS)
    permissions.grant(permissions.REVIEW, reviewer, cable)  # review implies view
    inactive = cleared("inactive-ts", Level.TS, is_active=False)
    permissions.grant(permissions.VIEW, inactive, cable)
    return {
        "direct grant, cleared S": (direct, [1, 2, 3]),
        "group grant, cleared C": (via_group, [1, 2]),
        "reviewer, cleared TS": (reviewer, [1, 2, 3, 4]),
        "no grant, cleared TS": (cleared("stranger-ts", Level.TS), []),
        "granted, no clearance": (_granted(cleared("uncleared", None), cable), [1]),
        "inactive, granted and cleared": (inactive, []),
        "superuser, no clearance": (cleared("root", None, is_superuser=True), [1, 2, 3, 4]),
        "anonymous": (AnonymousUser(), []),
    }


def _granted(user, cable):
    permissions.grant(permissions.VIEW, user, cable)
    return user


def test_the_statement_reads_what_cleared_paragraphs_reads(cable, django_assert_num_queries):
    for label, (user, ordinals) in readers(cable).items():
        expected = list(access.cleared_paragraphs(user, cable).order_by("ordinal"))
        with django_assert_num_queries(1):
            shown, total = access.cleared_paragraphs_read(user, cable)
        assert [p.ordinal for p in shown] == ordinals, label
        assert [p.ordinal for p in expected] == ordinals, label
        assert total == (4 if ordinals else None), label
        for got, want in zip(shown, expected, strict=True):
            for field in type(want)._meta.concrete_fields:
                assert getattr(got, field.attname) == getattr(want, field.attname), (label, field)
            assert got._state.adding is False and got._state.db == want._state.db


def test_another_cables_paragraphs_are_not_read(cable, django_assert_num_queries):
    other = CableFactory()
    ParagraphFactory(cable=other, ordinal=1, level=int(Level.U), text="Elsewhere.")
    reader = cleared("reader-ts", Level.TS)
    permissions.grant(permissions.VIEW, reader, cable)
    permissions.grant(permissions.VIEW, reader, other)
    root = cleared("root", None, is_superuser=True)  # no grant check narrows a superuser's read

    for user in (reader, root):
        with django_assert_num_queries(1):
            shown, total = access.cleared_paragraphs_read(user, cable)
            # As ``cable.paragraphs`` leaves them: each paragraph's cable is this one.
            assert all(p.cable is cable for p in shown)
        assert [p.ordinal for p in shown] == [1, 2, 3, 4]
        assert total == 4


def test_an_inactive_superuser_reads_nothing(cable):
    root = cleared("former-root", Level.TS, is_superuser=True, is_active=False)

    assert access.cleared_paragraphs_read(root, cable) == ([], None)
    assert list(access.cleared_paragraphs(root, cable)) == []

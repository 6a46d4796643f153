"""``access.raw_text_readable``: ``may_read_raw_text`` for many cables in one query, the same
answer for every kind of cable and user (an import's answer asks it for all its files)."""

from __future__ import annotations

import pytest

from cables.markings import Level
from cables.models import Cable
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import access, permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


def test_raw_text_readable_agrees_with_may_read_raw_text(django_assert_num_queries):
    cables = []
    for level in (Level.U, Level.C, Level.S):
        for subject_level in (None, Level.U, Level.S):
            for paragraph_level in (Level.U, Level.S):
                cable = CableFactory(
                    level=int(level),
                    subject="A subject",
                    subject_level=None if subject_level is None else int(subject_level),
                )
                ParagraphFactory(cable=cable, ordinal=1, level=int(paragraph_level))
                cables.append(cable)
    users = []
    for clearance in (None, Level.C, Level.S):
        user = UserFactory()
        if clearance is not None:
            Clearance.objects.create(user=user, level=int(clearance))
        permissions.grant(permissions.VIEW, user, cables[::2])
        users.append(user)
    users.append(UserFactory(is_superuser=True))
    users.append(UserFactory(is_active=False))

    for user in users:
        expected = {c.pk for c in cables if access.may_read_raw_text(user, c)}
        stored = Cable.objects.filter(pk__in=[c.pk for c in cables])
        access.clearance_level(user)  # read once a request, as the pages do
        with django_assert_num_queries(1 if user.is_active else 0):
            found = access.raw_text_readable(user, stored)
        assert found == expected, user
    assert any(access.raw_text_readable(u, Cable.objects.all()) for u in users)
